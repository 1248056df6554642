import { Type, type Static } from 'typebox';
import { MunicipalityCode, Period, StringEnum, Timestamp, CalendarDate } from '../../http/schemas.js';
import { PROVINCES } from '../municipalities/municipalities-schemas.js';

/** Largest weight in a fixed table: integers stay exact in JSON (below 2^53). */
const FIXED_WEIGHT_MAX = 1_000_000_000_000_000;
const MAX_COMPONENTS = 20;
/** More rows than the Netherlands has municipalities, with room for a herindeling in between. */
const MAX_MUNICIPALITIES = 1000;

const KeyKind = StringEnum(['population', 'composite', 'fixed'] as const, 'population: CBS population share; composite: weighted attributes; fixed: an agreed table');
const AttributeName = Type.String({
  pattern: '^[A-Za-z][A-Za-z0-9_]{0,49}$',
  minLength: 1,
  maxLength: 50,
  description: 'population, or a numeric key of the municipalities\' attributes (e.g. socialHousing)',
});
const ComponentWeight = Type.String({
  pattern: '^[0-9](\\.[0-9]{1,12})?$',
  minLength: 1,
  maxLength: 14,
  description: 'Decimal weight of this component, e.g. "0.75"; the weights of all components sum to exactly 1',
  examples: ['0.75'],
});

const Component = Type.Object({ attribute: AttributeName, weight: ComponentWeight }, { additionalProperties: false });
const Share = Type.Object(
  { municipality: MunicipalityCode, weight: Type.Integer({ minimum: 0, maximum: FIXED_WEIGHT_MAX, description: 'Non-negative integer weight' }) },
  { additionalProperties: false },
);

/** Issue 12 §6: those who carry the shelter burden receive fewer families. Off unless given. */
const ShelterCredit = Type.Object(
  {
    minimumNights: Type.Integer({
      minimum: 1,
      maximum: 366,
      description: 'A reporting municipality\'s entitlement is reduced by the units of each family it sheltered for more than this many nights in the period',
    }),
  },
  { additionalProperties: false },
);

export const KeyBody = Type.Object(
  {
    kind: KeyKind,
    shelterCredit: Type.Optional(ShelterCredit),
    components: Type.Optional(Type.Array(Component, { minItems: 1, maxItems: MAX_COMPONENTS, description: 'kind composite only: λ_i = Σ weight · a_i / Σ_j a_j' })),
    shares: Type.Optional(Type.Array(Share, { minItems: 1, maxItems: MAX_MUNICIPALITIES, description: 'kind fixed only: municipalities not listed weigh 0' })),
  },
  {
    additionalProperties: false,
    title: 'DistributionKeyDefinition',
    examples: [{ kind: 'composite', components: [{ attribute: 'population', weight: '0.75' }, { attribute: 'socialHousing', weight: '0.25' }] }],
  },
);
export type KeyBodyInput = Static<typeof KeyBody>;

export const KeyQuery = Type.Object(
  { version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'An earlier version (default: the current one)' })) },
  { additionalProperties: false },
);

const KeyDefinition = Type.Object(
  {
    kind: KeyKind,
    source: Type.Optional(Type.String({ maxLength: 200 })),
    sources: Type.Optional(
      Type.Array(
        Type.Object(
          { attribute: AttributeName, source: Type.String({ maxLength: 200 }), referenceDate: Type.Union([CalendarDate, Type.Null()]) },
          { additionalProperties: false },
        ),
        { maxItems: MAX_COMPONENTS, description: 'Where each weighed attribute comes from, as loaded when the key was adopted' },
      ),
    ),
    shelterCredit: Type.Optional(ShelterCredit),
    components: Type.Optional(Type.Array(Component, { maxItems: MAX_COMPONENTS })),
    shares: Type.Optional(Type.Array(Share, { maxItems: MAX_MUNICIPALITIES })),
  },
  { additionalProperties: false },
);

const DecimalString = (description: string) => Type.String({ pattern: '^[0-9]+$', maxLength: 200, description });

export const KeyView = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    current: Type.Boolean({ description: 'Whether new allocations use this version' }),
    kind: KeyKind,
    definition: KeyDefinition,
    createdAt: Timestamp,
    createdBy: Type.String({ maxLength: 200 }),
    totalWeight: DecimalString('T, the sum of all weights'),
    municipalities: Type.Array(
      Type.Object(
        {
          municipality: MunicipalityCode,
          name: Type.String({ maxLength: 100 }),
          province: Type.String({ maxLength: 50 }),
          weight: DecimalString('Exact integer weight w_i'),
          share: Type.Number({ minimum: 0, maximum: 1, description: 'w_i / T rounded to 8 decimals, for display' }),
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_MUNICIPALITIES },
    ),
  },
  { additionalProperties: false, title: 'DistributionKey' },
);
export type KeyViewOut = Static<typeof KeyView>;

const Fraction = (description: string) => Type.String({ pattern: '^-?[0-9]+/[0-9]+$', maxLength: 2000, description: `${description}; exact, "numerator/denominator"` });
const Display = (description: string) => Type.Number({ description: `${description}, rounded to 4 decimals for display` });

const Figures = {
  entitlement: Fraction('Shares of the units accrued in this period (Σ_v units · w_i / T_v)'),
  entitlementDisplay: Display('entitlement'),
  proposed: Type.Integer({ description: 'Units proposed in this period and still under review' }),
  approved: Type.Integer({ description: 'Units of this period\'s allocations approved (accepted and transferred ones included)' }),
  realised: Type.Integer({ description: 'Units of this period\'s allocations that moved (transferred)' }),
  balance: Fraction('E − A: positive is a backlog, negative an advance. Open period: running now; closed period: at closing'),
  balanceDisplay: Display('balance'),
  carriedIn: Fraction('Balance brought in from the previous period at its closing (after factor and cap)'),
  carriedInDisplay: Display('carriedIn'),
  settlementDelta: Fraction('Settlement movement booked into this period: carriedIn − the previous period\'s balance (negative: part of a backlog forgiven)'),
  settlementDeltaDisplay: Display('settlementDelta'),
  shelterCredit: Fraction('Shelter credit booked in this period (key option): negative for a municipality credited for the shelter it gave, positive for those who take its share'),
  shelterCreditDisplay: Display('shelterCredit'),
};

export const PeriodStatus = StringEnum(['open', 'closed'] as const);

export const BalancesQuery = Type.Object(
  { period: Period, province: Type.Optional(StringEnum(PROVINCES, 'Only the municipalities of this province')) },
  { additionalProperties: false },
);

const PeriodFields = {
  period: Period,
  status: PeriodStatus,
  startsOn: CalendarDate,
  endsOn: CalendarDate,
  closedAt: Type.Union([Timestamp, Type.Null()]),
  carryFactor: Type.Union([Type.String({ maxLength: 20 }), Type.Null()], { description: 'Factor applied at closing (closed periods)' }),
  carryCap: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Cap applied at closing; null = none' }),
};

export const BalancesView = Type.Object(
  {
    ...PeriodFields,
    keyVersion: Type.Integer({ minimum: 1, description: 'The key version new allocations use now' }),
    items: Type.Array(
      Type.Object(
        { municipality: MunicipalityCode, name: Type.String({ maxLength: 100 }), province: Type.String({ maxLength: 50 }), active: Type.Boolean(), ...Figures },
        { additionalProperties: false },
      ),
      { maxItems: MAX_MUNICIPALITIES },
    ),
    totals: Type.Object(Figures, { additionalProperties: false, description: 'Over the listed municipalities' }),
  },
  { additionalProperties: false, title: 'DistributionBalances' },
);
export type BalancesViewOut = Static<typeof BalancesView>;

export const PeriodParams = Type.Object({ period: Period }, { additionalProperties: false });
export const CloseQuery = Type.Object(
  { force: Type.Boolean({ default: false, description: 'Close the current period before its last day has passed' }) },
  { additionalProperties: false },
);

export const CloseView = Type.Object(
  {
    ...PeriodFields,
    municipalities: Type.Integer({ minimum: 0, description: 'Balances snapshotted' }),
    adjusted: Type.Integer({ minimum: 0, description: 'Municipalities whose carried balance the factor or cap changed (one settlement movement each)' }),
    balanceTotal: Fraction('Σ balance at closing'),
    carriedOutTotal: Fraction('Σ carried into the next period'),
    nextPeriod: Period,
  },
  { additionalProperties: false, title: 'PeriodSettlement' },
);
export type CloseViewOut = Static<typeof CloseView>;

export const MergeBody = Type.Object(
  {
    into: MunicipalityCode,
    from: Type.Array(MunicipalityCode, { minItems: 1, maxItems: 20, uniqueItems: true, description: 'Codes that ceased to exist in the merger' }),
  },
  { additionalProperties: false },
);

export const MergeView = Type.Object(
  {
    into: MunicipalityCode,
    period: Period,
    moved: Type.Array(Type.Object({ municipality: MunicipalityCode, balance: Fraction('Balance moved to the new municipality'), balanceDisplay: Display('balance') }, { additionalProperties: false }), { maxItems: 20 }),
    balance: Fraction('Balance of the new municipality after the merger'),
    balanceDisplay: Display('balance'),
  },
  { additionalProperties: false, title: 'MunicipalityMerger' },
);
export type MergeViewOut = Static<typeof MergeView>;

export const ShelterCreditRunView = Type.Object(
  {
    period: Period,
    minimumNights: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], { description: 'null: the current key has no shelter credit' }),
    credited: Type.Array(
      Type.Object(
        { municipality: MunicipalityCode, registrations: Type.Integer({ minimum: 1 }), units: Type.Integer({ minimum: 1 }) },
        { additionalProperties: false },
      ),
      { maxItems: MAX_MUNICIPALITIES },
    ),
  },
  { additionalProperties: false, title: 'ShelterCreditRun' },
);
