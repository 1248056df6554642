import { Type, type Static } from 'typebox';
import { MunicipalityCode, Period, StringEnum } from '../../http/schemas.js';

/** A simulation distributes at most this many units (two runs of the engine: about a second). */
export const MAX_SIMULATION_UNITS = 1_000_000;
const MAX_COMPONENTS = 10;
const MAX_MUNICIPALITIES = 1000;

const SimulationKeyKind = StringEnum(
  ['current', 'population', 'composite', 'fixed'] as const,
  'current: today\'s key; population: CBS population share; composite: weighted attributes; fixed: an agreed table',
);

const SimulationKey = Type.Object(
  {
    kind: SimulationKeyKind,
    components: Type.Optional(
      Type.Array(
        Type.Object(
          {
            attribute: Type.String({
              pattern: '^[A-Za-z][A-Za-z0-9_]{0,49}$',
              minLength: 1,
              maxLength: 50,
              description: 'population, or a numeric attribute loaded with import-attributes (e.g. socialHousing)',
            }),
            weight: Type.Integer({ minimum: 1, maximum: 1000, description: 'Relative weight; the share of this attribute is weight / Σ weights' }),
          },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: MAX_COMPONENTS, description: 'kind composite only: λ_i = Σ_c (weight_c / Σ weight) · a_{c,i} / Σ_j a_{c,j}' },
      ),
    ),
    weights: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^GM[0-9]{4}$' }),
        Type.String({ pattern: '^[0-9]{1,15}$', minLength: 1, maxLength: 15, description: 'Non-negative integer weight, as a string' }),
        {
          maxProperties: MAX_MUNICIPALITIES,
          additionalProperties: false,
          description: 'kind fixed only: weight per GM code (keys match ^GM[0-9]{4}$) of an active municipality; municipalities not listed weigh 0',
        },
      ),
    ),
  },
  { additionalProperties: false },
);

export const SimulationBody = Type.Object(
  {
    key: SimulationKey,
    units: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_SIMULATION_UNITS, description: 'Units to distribute; give units or period, not both' })),
    period: Type.Optional(Period),
  },
  {
    additionalProperties: false,
    title: 'DistributionSimulationRequest',
    examples: [{ key: { kind: 'composite', components: [{ attribute: 'population', weight: 3 }, { attribute: 'socialHousing', weight: 1 }] }, units: 1000 }],
  },
);
export type SimulationBodyInput = Static<typeof SimulationBody>;

const Units = (description: string) => Type.Integer({ minimum: 0, maximum: MAX_SIMULATION_UNITS, description });
const Difference = Type.Integer({ minimum: -MAX_SIMULATION_UNITS, maximum: MAX_SIMULATION_UNITS, description: 'units − baselineUnits' });
const Description = Type.String({ maxLength: 500, description: 'The key in one Dutch line, naming its attributes and weights' });

export const SimulationView = Type.Object(
  {
    key: Type.Object({ kind: SimulationKeyKind, description: Description }, { additionalProperties: false }),
    baseline: Type.Object(
      { kind: StringEnum(['current'] as const), version: Type.Integer({ minimum: 1, description: 'Version of today\'s key' }), description: Description },
      { additionalProperties: false, description: 'Today\'s key, run on the same units' },
    ),
    source: StringEnum(['units', 'period'] as const, 'units: the number asked for; period: the units accrued in that period (the real arrivals)'),
    period: Type.Union([Period, Type.Null()]),
    units: Units('Units distributed in both runs'),
    municipalities: Type.Array(
      Type.Object(
        {
          code: MunicipalityCode,
          name: Type.String({ maxLength: 100 }),
          province: Type.String({ maxLength: 50 }),
          share: Type.String({ pattern: '^[01]\\.[0-9]{6}$', maxLength: 8, description: 'w_i / T of the simulated key, 6 decimals' }),
          units: Units('Units this municipality receives under the simulated key'),
          baselineUnits: Units('Units under today\'s key'),
          difference: Difference,
        },
        { additionalProperties: false },
      ),
      { maxItems: MAX_MUNICIPALITIES, description: 'Every active municipality, by code' },
    ),
    provinces: Type.Array(
      Type.Object(
        { province: Type.String({ maxLength: 50 }), units: Units('Units of the province\'s municipalities'), baselineUnits: Units('The same under today\'s key'), difference: Difference },
        { additionalProperties: false },
      ),
      { maxItems: 20, description: 'The provinces, by name' },
    ),
  },
  { additionalProperties: false, title: 'DistributionSimulation' },
);
export type SimulationViewOut = Static<typeof SimulationView>;
