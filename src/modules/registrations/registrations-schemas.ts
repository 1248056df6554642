import { Type, type Static } from 'typebox';
import { CalendarDate, MunicipalityCode, NullableDate, PagingQuery, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

export const SUBGROUPS = ['former_permit_holder', 'caribbean', 'chavez', 'other_remigrant'] as const;
/** refused_placement: the family refused the placement offered (issue 13); it closes like the others. */
export const OUTCOMES = ['housed', 'returned_abroad', 'own_network', 'wmo_eligible', 'withdrawn', 'duplicate', 'refused_placement'] as const;
export const STATUSES = ['queued', 'proposed', 'approved', 'accepted', 'transferred', 'housed', 'closed', 'needs_attention'] as const;

const enumOf = StringEnum;

/** The six islands of the Caribbean part of the Kingdom (Bonaire, Sint Eustatius and Saba share one ISO code, BQ). */
export const CARIBBEAN_ISLANDS = ['aruba', 'curacao', 'sint_maarten', 'bonaire', 'sint_eustatius', 'saba'] as const;

/** Where the family came from, for the arrivals statistics (issue 13): optional, one of the two. */
const Departure = Type.Object(
  {
    island: Type.Optional(enumOf(CARIBBEAN_ISLANDS, 'The island left, when arrivedFrom is caribbean_part')),
    country: Type.Optional(
      Type.String({ pattern: '^[A-Z]{2}$', minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2 code of the country left, when arrivedFrom is abroad', examples: ['SR'] }),
    ),
  },
  { additionalProperties: false, minProperties: 1, maxProperties: 1, description: 'The island or country of departure (optional)' },
);

/** A BSN is 9 digits; the 11-proef is checked after the schema, with the other field rules. */
const Bsn = Type.String({ pattern: '^[0-9]{9}$', minLength: 9, maxLength: 9, description: 'Burgerservicenummer (11-proef)' });
/** Names: printable text, no control characters. */
const PersonName = Type.String({ minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$' });

const Person = Type.Object({ bsn: Bsn, name: PersonName, birthDate: CalendarDate }, { additionalProperties: false });

export const Needs = Type.Object(
  {
    accessibleHousing: Type.Optional(Type.Boolean({ description: 'Needs a home without stairs' })),
    medicalCare: Type.Optional(Type.Boolean({ description: 'Needs ongoing medical care nearby' })),
    specialEducation: Type.Optional(Type.Boolean({ description: 'A child needs special education' })),
    minimumBedrooms: Type.Optional(Type.Integer({ minimum: 1, maximum: 10, description: '4 or more needs a municipality with large dwellings' })),
    languageSupport: Type.Optional(Type.Boolean({ description: 'Needs language and integration support' })),
  },
  { additionalProperties: false },
);

/** DESIGN §5: an optional hard restriction to one region. */
export const RegionRestriction = Type.Object(
  {
    kind: enumOf(['labour_market', 'wmo', 'province'] as const, 'labour_market: arbeidsmarktregio; wmo: centre-municipality region; province'),
    code: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$', minLength: 1, maxLength: 60, description: 'The region code as in the municipalities\' profiles (or the province name)' }),
  },
  { additionalProperties: false, description: 'Only municipalities of this region may receive the family' },
);
const WorkRegion = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$',
  minLength: 1,
  maxLength: 60,
  description: 'Labour-market region where an adult has work or a job offer: preferred within the tolerance',
});

const Codes = (max: number, description: string) => Type.Array(MunicipalityCode, { maxItems: max, uniqueItems: true, description });

export const CreateRegistrationBody = Type.Object(
  {
    reportingMunicipality: MunicipalityCode,
    reportedOn: CalendarDate,
    subgroup: enumOf(SUBGROUPS),
    eligibility: Type.Object(
      {
        residenceBasis: enumOf(['dutch_nationality', 'chavez', 'other'] as const, 'Dutch nationality, or Chavez (a Dutch child, derived residence)'),
        arrivedFrom: enumOf(['abroad', 'caribbean_part', 'within_netherlands'] as const),
        departure: Type.Optional(Departure),
        ownInitiativeUnprepared: Type.Boolean(),
        refugeeOrEvacueeStatus: Type.Boolean(),
        selfRelianceAssessment: Type.Object(
          { assessedOn: CalendarDate, outcome: enumOf(['self_reliant', 'not_self_reliant', 'pending'] as const) },
          { additionalProperties: false },
        ),
        homelessWithoutNetwork: Type.Boolean(),
      },
      { additionalProperties: false },
    ),
    household: Type.Object(
      {
        adults: Type.Array(Person, { minItems: 1, maxItems: 10 }),
        children: Type.Array(Person, { minItems: 0, maxItems: 20 }),
      },
      { additionalProperties: false },
    ),
    networkMunicipalities: Type.Optional(Codes(20, 'Municipalities where the family has a network (soft preference)')),
    excludedMunicipalities: Type.Optional(Codes(50, 'Municipalities the family must not go to (e.g. for safety)')),
    needs: Type.Optional(Needs),
    regionRestriction: Type.Optional(RegionRestriction),
    workRegion: Type.Optional(WorkRegion),
    notes: Type.Optional(Type.String({ maxLength: 4000, description: 'Free text for the coordinator; encrypted at rest' })),
  },
  { additionalProperties: false },
);
export type CreateRegistration = Static<typeof CreateRegistrationBody>;

export const RegistrationSummary = Type.Object(
  {
    id: Uuid,
    status: enumOf(STATUSES),
    reportingMunicipality: MunicipalityCode,
    receivingMunicipality: Type.Union([MunicipalityCode, Type.Null()]),
    reportedOn: CalendarDate,
    subgroup: enumOf(SUBGROUPS),
    householdSize: Type.Integer({ minimum: 1 }),
    adults: Type.Integer({ minimum: 0 }),
    children: Type.Integer({ minimum: 0 }),
    outcome: Type.Union([enumOf(OUTCOMES), Type.Null()]),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type RegistrationSummaryView = Static<typeof RegistrationSummary>;

/** BSN, name and birth date are null when the caller no longer sees them or they were erased; the birth year stays. */
const PersonView = Type.Object({
  bsn: Type.Union([Bsn, Type.Null()]),
  name: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  birthDate: NullableDate('Birth date; null when withheld or erased'),
  birthYear: Type.Integer({ minimum: 1900, maximum: 2100 }),
});

export const PERSONAL_DATA_ACCESS = ['available', 'withheld', 'erased'] as const;

export const RegistrationDetail = Type.Object(
  {
    ...RegistrationSummary.properties,
    eligibility: CreateRegistrationBody.properties.eligibility,
    household: Type.Object({ adults: Type.Array(PersonView, { maxItems: 10 }), children: Type.Array(PersonView, { maxItems: 20 }) }),
    networkMunicipalities: Type.Array(MunicipalityCode, { maxItems: 20 }),
    excludedMunicipalities: Type.Array(MunicipalityCode, { maxItems: 50 }),
    needs: Needs,
    regionRestriction: Type.Union([RegionRestriction, Type.Null()]),
    workRegion: Type.Union([WorkRegion, Type.Null()]),
    notes: Type.Union([Type.String({ maxLength: 4000 }), Type.Null()]),
    activeAllocationId: Type.Union([Uuid, Type.Null()]),
    transferredOn: Type.Union([CalendarDate, Type.Null()]),
    personalData: enumOf(PERSONAL_DATA_ACCESS, 'available; withheld (a municipality, some time after the case closed: names, BSNs, birth dates, notes, needs and municipality preferences are not shown); erased (pseudonymised)'),
    pseudonymisedAt: Type.Union([Timestamp, Type.Null()]),
    duplicateAttempts: Type.Optional(
      Type.Array(Type.Object({ attemptedBy: MunicipalityCode, attemptedAt: Timestamp }), {
        maxItems: 100,
        description: 'Coordinator only: other municipalities that tried to register a member of this household',
      }),
    ),
    earlierCase: Type.Optional(
      Type.Union(
        [
          Type.Object(
            {
              registrationId: Uuid,
              outcome: Type.Union([enumOf(OUTCOMES), Type.Null()]),
              earlierCases: Type.Integer({ minimum: 1, description: 'Closed or housed cases with a member of this household' }),
              repeatedReturn: Type.Boolean({ description: 'An earlier case closed as returned_abroad: the return scheme was used before' }),
            },
            { additionalProperties: false },
          ),
          Type.Null(),
        ],
        { description: 'Coordinator only: the most recent earlier closed case of a member of this household (re-registration)' },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RegistrationDetailView = Static<typeof RegistrationDetail>;

export const ListRegistrationsQuery = Type.Object(
  {
    status: Type.Optional(enumOf(STATUSES)),
    reportingMunicipality: Type.Optional(MunicipalityCode),
    receivingMunicipality: Type.Optional(MunicipalityCode),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: 'Makes a retried POST safe' })),
});

export const HistoryEntry = Type.Object({
  at: Timestamp,
  action: Type.String({ maxLength: 50 }),
  fromStatus: Type.Union([enumOf(STATUSES), Type.Null()]),
  toStatus: enumOf(STATUSES),
  allocationId: Type.Union([Uuid, Type.Null()]),
  municipality: Type.Union([MunicipalityCode, Type.Null()]),
  actor: Type.Object({ sub: Type.String({ maxLength: 200 }), role: Type.String({ maxLength: 50 }), municipality: Type.Union([Type.String({ maxLength: 10 }), Type.Null()]) }),
  reason: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
});
