// Valid registration bodies for tests and benchmarks; each call gives new, valid BSNs.
import type { CreateRegistration } from '../../src/modules/registrations/registrations-schemas.js';

let counter = 0;
/** A BSN that passes the 11-proef, unique within this process (seeded by the process id). */
export function nextBsn(): string {
  for (;;) {
    counter++;
    const base = String((process.pid * 100_003 + counter * 7919) % 100_000_000).padStart(8, '0');
    if (base.startsWith('0')) continue;
    let sum = 0;
    for (let i = 0; i < 8; i++) sum += Number(base[i]) * (9 - i);
    const check = sum % 11;
    if (check === 10) continue;
    return base + String(check);
  }
}

type Household = CreateRegistration['household'];
/** A household as the API shows it: each person also with the birth year (it outlives the birth date). */
export function asShown(household: Household) {
  const person = (p: Household['adults'][number]) => ({ ...p, birthYear: Number(p.birthDate.slice(0, 4)) });
  return { adults: household.adults.map(person), children: household.children.map(person) };
}

export function familyBody(overrides: Partial<CreateRegistration> & { reportingMunicipality?: string } = {}): CreateRegistration {
  return {
    reportingMunicipality: 'GM0363',
    reportedOn: '2026-11-02',
    subgroup: 'caribbean',
    eligibility: {
      residenceBasis: 'dutch_nationality',
      arrivedFrom: 'caribbean_part',
      ownInitiativeUnprepared: true,
      refugeeOrEvacueeStatus: false,
      selfRelianceAssessment: { assessedOn: '2026-11-01', outcome: 'self_reliant' },
      homelessWithoutNetwork: true,
    },
    household: {
      adults: [{ bsn: nextBsn(), name: 'Maria Martina', birthDate: '1990-04-12' }],
      children: [
        { bsn: nextBsn(), name: 'Jayden Martina', birthDate: '2015-06-30' },
        { bsn: nextBsn(), name: 'Zoë Martina', birthDate: '2020-02-29' },
      ],
    },
    networkMunicipalities: [],
    excludedMunicipalities: [],
    needs: { minimumBedrooms: 2 },
    notes: 'Moeder werkt als verpleegkundige; kinderen naar school in november.',
    ...overrides,
  };
}
