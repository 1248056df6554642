import { Type, type Static } from 'typebox';
import { MunicipalityCode, PagingQuery, Period, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';
import { NEED_KINDS } from './maatwerk-rules.js';

/** Region codes as the source publishes them (e.g. CBS AM18); one fresh schema per use, so OpenAPI renders `nullable`. */
const regionCode = () => Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$', minLength: 1, maxLength: 60 });

const FacilityFlag = (description: string) =>
  Type.Union([Type.Boolean(), Type.Null()], { description: `${description}; true = can offer, false = cannot, null = not stated` });

export const FacilitiesSchema = Type.Object(
  {
    medicalCare: Type.Optional(FacilityFlag('Specialised medical care nearby')),
    specialEducation: Type.Optional(FacilityFlag('Places in special education')),
    accessibleDwellings: Type.Optional(FacilityFlag('Accessible dwellings (no stairs)')),
    largeDwellings: Type.Optional(FacilityFlag('Dwellings with 4 or more bedrooms')),
    languageSupport: Type.Optional(FacilityFlag('Language and integration support')),
  },
  { additionalProperties: false },
);

const ProfileFields = {
  facilities: FacilitiesSchema,
  labourMarketRegion: Type.Union([regionCode(), Type.Null()], { description: 'Labour-market region (arbeidsmarktregio) the municipality belongs to, e.g. the CBS code AM18' }),
  wmoRegion: Type.Union([regionCode(), Type.Null()], { description: 'Wmo centre-municipality region (centrumgemeente) the municipality belongs to' }),
  note: Type.Union([Type.String({ maxLength: 2000, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$' }), Type.Null()], {
    description: 'Free note about what the municipality can offer; no personal data',
  }),
};

export const ProfileBody = Type.Object(ProfileFields, { additionalProperties: false, title: 'MunicipalityProfileUpdate' });
export type ProfileBodyInput = Static<typeof ProfileBody>;

export const ProfileView = Type.Object(
  {
    municipality: MunicipalityCode,
    province: Type.String({ maxLength: 50 }),
    version: Type.Integer({ minimum: 0, description: '0: no profile stated yet' }),
    ...ProfileFields,
    updatedAt: Type.Union([Timestamp, Type.Null()]),
    updatedBy: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  },
  { additionalProperties: false, title: 'MunicipalityProfile' },
);
export type ProfileViewOut = Static<typeof ProfileView>;

export const ProfileVersions = Type.Object(
  { items: Type.Array(Type.Omit(ProfileView, ['province']), { maxItems: 200 }) },
  { additionalProperties: false, title: 'MunicipalityProfileVersions' },
);

export const CapacityKind = StringEnum(['dwelling', 'flex_unit'] as const, 'A regular dwelling or a flex unit (flexwoning)');

export const CapacityBody = Type.Object(
  {
    municipality: MunicipalityCode,
    period: Period,
    kind: CapacityKind,
    units: Type.Integer({ minimum: 1, maximum: 1000, description: 'Dwellings (or flex units) of this shape' }),
    bedrooms: Type.Integer({ minimum: 1, maximum: 10 }),
    accessible: Type.Boolean({ description: 'Accessible without stairs' }),
    note: Type.Optional(Type.String({ maxLength: 500, pattern: '^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$', description: 'No personal data' })),
  },
  { additionalProperties: false, title: 'CapacityDeclarationInput' },
);
export type CapacityBodyInput = Static<typeof CapacityBody>;

export const CapacityView = Type.Object(
  {
    id: Uuid,
    municipality: MunicipalityCode,
    period: Period,
    kind: CapacityKind,
    units: Type.Integer({ minimum: 1 }),
    booked: Type.Integer({ minimum: 0, description: 'Families allocated against it (proposed or later), one dwelling each' }),
    remaining: Type.Integer({ minimum: 0 }),
    bedrooms: Type.Integer({ minimum: 1 }),
    accessible: Type.Boolean(),
    note: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    declaredBy: Type.Object({ sub: Type.String({ maxLength: 200 }), role: Type.String({ maxLength: 50 }) }, { additionalProperties: false }),
    createdAt: Timestamp,
  },
  { additionalProperties: false, title: 'CapacityDeclaration' },
);
export type CapacityViewOut = Static<typeof CapacityView>;

export const CapacityListQuery = Type.Object(
  { municipality: Type.Optional(MunicipalityCode), period: Type.Optional(Period), ...PagingQuery },
  { additionalProperties: false },
);

const NeedMode = StringEnum(['hard', 'soft'] as const, 'hard: a municipality that cannot offer it is removed; soft: one that can is preferred within the tolerance');
export const NeedsPolicyBody = Type.Object(
  {
    needs: Type.Object(Object.fromEntries(NEED_KINDS.map((k) => [k, NeedMode])) as Record<(typeof NEED_KINDS)[number], typeof NeedMode>, { additionalProperties: false }),
    unknownProfile: StringEnum(['available', 'unavailable'] as const, 'How a municipality that has not stated a facility counts for a hard need'),
  },
  { additionalProperties: false, title: 'NeedsPolicyInput' },
);
export type NeedsPolicyBodyInput = Static<typeof NeedsPolicyBody>;

export const NeedsPolicyView = Type.Object(
  {
    version: Type.Integer({ minimum: 0, description: '0: the built-in default (every need hard, unstated counts as available)' }),
    ...NeedsPolicyBody.properties,
    createdAt: Type.Union([Timestamp, Type.Null()]),
    createdBy: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
  },
  { additionalProperties: false, title: 'NeedsPolicy' },
);
export type NeedsPolicyViewOut = Static<typeof NeedsPolicyView>;
