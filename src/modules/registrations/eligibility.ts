// DESIGN §3: the seven criteria of the target group. Pure; the registration date is given.
import type { CreateRegistration } from './registrations-schemas.js';

export interface FailedCriterion {
  criterion: string;
  message: string;
}

/** The day a person turns `years` old; someone born on 29 February has it on 1 March. */
export function birthday(birthDate: string, years: number): string {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const target = new Date(Date.UTC(y + years, m - 1, d));
  // Date.UTC rolls 29 Feb of a non-leap year over to 1 March, which is the rule we want.
  return target.toISOString().slice(0, 10);
}

export const isMinorOn = (birthDate: string, on: string) => birthDate <= on && birthday(birthDate, 18) > on;

export function checkEligibility(body: CreateRegistration, today: string): FailedCriterion[] {
  const e = body.eligibility;
  const failed: FailedCriterion[] = [];
  if (e.residenceBasis !== 'dutch_nationality' && e.residenceBasis !== 'chavez') {
    failed.push({ criterion: 'residence_basis', message: 'The family must have Dutch nationality or derive residence from a Dutch child (Chavez).' });
  }
  if (e.arrivedFrom !== 'abroad' && e.arrivedFrom !== 'caribbean_part') {
    failed.push({ criterion: 'arrived_from', message: 'The family must have arrived from abroad or from the Caribbean part of the Kingdom.' });
  }
  if (!e.ownInitiativeUnprepared) {
    failed.push({ criterion: 'own_initiative_unprepared', message: 'The family must have come on its own initiative and unprepared.' });
  }
  if (!body.household.children.some((c) => isMinorOn(c.birthDate, body.reportedOn))) {
    failed.push({ criterion: 'minor_child', message: `At least one child must be under 18 on the registration date (${body.reportedOn}).` });
  }
  if (e.refugeeOrEvacueeStatus) {
    failed.push({ criterion: 'no_refugee_or_evacuee_status', message: 'Families with refugee or evacuee status are served by other arrangements.' });
  }
  const a = e.selfRelianceAssessment;
  if (a.outcome !== 'self_reliant' || a.assessedOn > today) {
    failed.push({
      criterion: 'self_reliance_assessment',
      message: 'The reporting municipality must have assessed the family as self-reliant, on a date not in the future.',
    });
  }
  if (!e.homelessWithoutNetwork) {
    failed.push({ criterion: 'homeless_without_network', message: 'The family must be homeless with no network to fall back on.' });
  }
  return failed;
}
