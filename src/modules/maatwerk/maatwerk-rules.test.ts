import { describe, expect, it } from 'vitest';
import { createLedger } from '../allocation/engine/index.js';
import { explainInDutch } from './maatwerk-explanation-nl.js';
import { buildProfileIndex, DEFAULT_NEEDS_POLICY, familyNeeds, pickDeclaration, planFor, type OpenDeclaration } from './maatwerk-rules.js';

const municipalities = [
  { code: 'GM0001', name: 'Aadorp', province: 'Utrecht', active: true },
  { code: 'GM0002', name: 'Beestad', province: 'Utrecht', active: true },
  { code: 'GM0003', name: 'Ceedam', province: 'Zeeland', active: true },
  { code: 'GM0004', name: 'Oudegem', province: 'Zeeland', active: false },
];
const profiles = [
  { municipality: 'GM0001', facilities: { specialEducation: false, medicalCare: true }, labourMarketRegion: 'AM13', wmoRegion: null },
  { municipality: 'GM0002', facilities: { specialEducation: true }, labourMarketRegion: 'AM13', wmoRegion: 'W1' },
  { municipality: 'GM0004', facilities: { specialEducation: false }, labourMarketRegion: 'AM13', wmoRegion: null },
];
const declaration = (d: Partial<OpenDeclaration>): OpenDeclaration => ({ id: 'd', municipality: 'GM0002', kind: 'dwelling', remaining: 1, bedrooms: 3, accessible: false, createdAt: '2026-11-01T00:00:00Z', ...d });

describe('needs against profiles', () => {
  it('reads the needs a registration asks for; 4 or more bedrooms is a large dwelling', () => {
    expect(familyNeeds({ minimumBedrooms: 3, specialEducation: true })).toEqual(['specialEducation']);
    expect(familyNeeds({ minimumBedrooms: 4, languageSupport: true, medicalCare: false })).toEqual(['largeDwelling', 'languageSupport']);
  });

  it('removes, for a hard need, only active municipalities that say they cannot offer it (unless unstated counts as unavailable)', () => {
    const index = buildProfileIndex(municipalities, profiles, DEFAULT_NEEDS_POLICY);
    const plan = planFor({ needs: { specialEducation: true }, regionRestriction: null, workRegion: null }, index, DEFAULT_NEEDS_POLICY, []);
    expect(plan.excluded).toEqual([{ code: 'GM0001', reason: 'need_unmet:specialEducation' }]);
    const strict = { ...DEFAULT_NEEDS_POLICY, unknownProfile: 'unavailable' as const };
    const strictPlan = planFor({ needs: { specialEducation: true }, regionRestriction: null, workRegion: null }, buildProfileIndex(municipalities, profiles, strict), strict, []);
    expect(strictPlan.excluded.map((e) => e.code)).toEqual(['GM0001', 'GM0003']);
  });

  it('turns soft needs, the work region and matching capacity into preferences in the stated order; a region restriction into a region', () => {
    const policy = { ...DEFAULT_NEEDS_POLICY, needs: { ...DEFAULT_NEEDS_POLICY.needs, medicalCare: 'soft' as const } };
    const index = buildProfileIndex(municipalities, profiles, policy);
    const plan = planFor(
      { needs: { medicalCare: true, minimumBedrooms: 3 }, regionRestriction: { kind: 'province', code: 'Zeeland' }, workRegion: 'AM13' },
      index,
      policy,
      [declaration({}), declaration({ id: 'small', municipality: 'GM0003', bedrooms: 2 })],
    );
    expect(plan.preferences.map((p) => [p.kind, [...p.codes]])).toEqual([
      ['work_region', ['GM0001', 'GM0002']],
      ['declared_capacity', ['GM0002']],
      ['need:medicalCare', ['GM0001']],
    ]);
    expect(plan.region).toEqual(['GM0003']);
    expect(plan.excluded).toEqual([]);
  });

  it('books the smallest dwelling that fits, accessible only when needed, then the oldest', () => {
    const open = [
      declaration({ id: 'a', bedrooms: 4, createdAt: '2026-10-01T00:00:00Z' }),
      declaration({ id: 'b', bedrooms: 3, accessible: true, createdAt: '2026-09-01T00:00:00Z' }),
      declaration({ id: 'c', bedrooms: 3, createdAt: '2026-11-01T00:00:00Z' }),
      declaration({ id: 'd', bedrooms: 3, remaining: 0 }),
    ];
    expect(pickDeclaration(open, 'GM0002', { minimumBedrooms: 3 })?.id).toBe('c');
    expect(pickDeclaration(open, 'GM0002', { minimumBedrooms: 3, accessibleHousing: true })?.id).toBe('b');
    expect(pickDeclaration(open, 'GM0002', { minimumBedrooms: 5 })).toBeUndefined();
    expect(pickDeclaration(open, 'GM0001', {})).toBeUndefined();
  });
});

describe('the explanation in Dutch', () => {
  const ledger = () =>
    createLedger({ municipalities: municipalities.map((m) => ({ code: m.code })), key: { version: 3, weights: { GM0001: 5, GM0002: 3, GM0003: 2, GM0004: 0 } } });
  const name = (code: string) => municipalities.find((m) => m.code === code)?.name ?? code;

  it('says the quota choice and the removals, in at most two sentences', () => {
    const d = ledger().choose({ units: 1, excluded: [{ code: 'GM0001', reason: 'need_unmet:specialEducation' }] });
    const text = explainInDutch(d.explanation, { name, capacity: null });
    expect(text).toBe('Beestad (GM0002) is volgens de verdeelsleutel (versie 3) als eerste aan de beurt, met een achterstand van 0,3 eenheden. Afgevallen: 1 zonder plek in het speciaal onderwijs.');
  });

  it('says which preference decided against the rule\'s choice, and the dwelling booked', () => {
    const d = ledger().choose({ units: 1, networkTolerance: 1, preferences: [{ kind: 'declared_capacity', codes: ['GM0003'] }] });
    const text = explainInDutch(d.explanation, { name, capacity: { bedrooms: 4, accessible: true, kind: 'dwelling' }, shelterCreditNights: 30 });
    expect(text).toBe(
      'Ceedam (GM0003) is voorgesteld in plaats van Aadorp (GM0001), omdat daar passende woonruimte is aangeboden (4 slaapkamers, toegankelijk) ' +
        'en haar saldo binnen 1 eenheid van dat van Aadorp ligt (verdeelsleutel versie 3). ' +
        'Gemeenten die langer dan 30 nachten opvang boden, krijgen daarvoor minder gezinnen.',
    );
  });

  it('says when nothing was allowed', () => {
    const d = ledger().choose({ units: 1, region: [], excluded: [{ code: 'GM0002', reason: 'reporting_municipality' }] });
    expect(explainInDutch(d.explanation, { name, capacity: null })).toBe('Geen enkele gemeente bleef over, dus beslist de coördinator. Afgevallen: 1 meldende gemeente, 4 buiten de gevraagde regio.');
  });
});
