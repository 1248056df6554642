import { Type, type Static } from 'typebox';
import { MunicipalityCode, PagingQuery, StringEnum } from '../../http/schemas.js';

export const Municipality = Type.Object(
  {
    code: MunicipalityCode,
    name: Type.String({ maxLength: 100 }),
    province: Type.String({ maxLength: 50 }),
    population: Type.Integer({ minimum: 0 }),
    suspended: Type.Boolean({ description: 'A suspended municipality receives no proposals.' }),
    capacityPerPeriod: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'Most units per period; null = no limit.' }),
    active: Type.Boolean({ description: 'False once the municipality no longer exists (herindeling).' }),
  },
  { additionalProperties: false },
);
export type MunicipalityView = Static<typeof Municipality>;

export const PROVINCES = [
  'Drenthe', 'Flevoland', 'Friesland', 'Gelderland', 'Groningen', 'Limburg', 'Noord-Brabant', 'Noord-Holland', 'Overijssel', 'Utrecht', 'Zeeland', 'Zuid-Holland',
] as const;

export const ListMunicipalitiesQuery = Type.Object(
  {
    province: Type.Optional(StringEnum(PROVINCES)),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Case-insensitive part of the name' })),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

export const CodeParams = Type.Object({ code: MunicipalityCode }, { additionalProperties: false });

export const PatchMunicipalityBody = Type.Object(
  {
    suspended: Type.Optional(Type.Boolean()),
    capacityPerPeriod: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 100_000 }), Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchMunicipality = Static<typeof PatchMunicipalityBody>;
