import { Type, type Static } from 'typebox';
import { CalendarDate, MunicipalityCode, PagingQuery, PAGE_SIZE_MAX, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

export const SHELTER_TYPES = ['hotel', 'holiday_park', 'shelter_facility', 'other'] as const;
export type ShelterType = (typeof SHELTER_TYPES)[number];

/** €100,000 a night: far above any real rate, low enough that a typo in cents stands out. */
export const MAX_NIGHTLY_COST_CENTS = 10_000_000;

const ShelterTypeSchema = StringEnum(SHELTER_TYPES, 'Kind of emergency shelter');
const NightlyCost = Type.Integer({ minimum: 0, maximum: MAX_NIGHTLY_COST_CENTS, description: 'Cost per night in euro cents' });
const Location = Type.String({
  minLength: 1,
  maxLength: 500,
  description: 'Where the family stays (free text, personal data; encrypted at rest)',
});
const dateWith = (description: string) => Type.String({ format: 'date', minLength: 10, maxLength: 10, description });
const StartDate = dateWith('First night of the stay (Europe/Amsterdam calendar date, YYYY-MM-DD)');
const EndDate = dateWith('Day the family leaves (YYYY-MM-DD); end-exclusive, so 1 to 3 March is 2 nights');
/**
 * A nullable date as OpenAPI 3.0 writes it (`nullable`), not as a union: the ADR linter wants
 * `format: date` on every *Date property itself. Ajv and the serializer both honour `nullable`.
 */
const NullableDate = (description: string) =>
  Type.Unsafe<string | null>({ type: 'string', format: 'date', minLength: 10, maxLength: 10, nullable: true, description });

export const CreateShelterStayBody = Type.Object(
  {
    type: ShelterTypeSchema,
    startDate: StartDate,
    endDate: Type.Optional(EndDate),
    nightlyCostCents: NightlyCost,
    location: Type.Optional(Location),
    central: Type.Optional(
      Type.Boolean({ description: 'Held by the coordination point at a central facility, booked nationally (coordinator only, with CENTRAL_SHELTER=true)' }),
    ),
  },
  { additionalProperties: false },
);
export type CreateShelterStay = Static<typeof CreateShelterStayBody>;

/** JSON Merge Patch (RFC 7396): an absent member stays as it is, null removes it. */
export const PatchShelterStayBody = Type.Object(
  {
    type: Type.Optional(ShelterTypeSchema),
    endDate: Type.Optional(NullableDate('Day the family leaves (YYYY-MM-DD), end-exclusive; null reopens the stay')),
    nightlyCostCents: Type.Optional(NightlyCost),
    location: Type.Optional(Type.Union([Location, Type.Null()])),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchShelterStay = Static<typeof PatchShelterStayBody>;

export const ShelterStay = Type.Object(
  {
    id: Uuid,
    registrationId: Uuid,
    municipality: MunicipalityCode,
    type: ShelterTypeSchema,
    startDate: CalendarDate,
    endDate: NullableDate('Day the family left (end-exclusive); null while the family still stays'),
    nightlyCostCents: NightlyCost,
    location: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]),
    closedAutomatically: Type.Boolean({ description: 'The end date was set at transfer or at a closing outcome' }),
    central: Type.Boolean({ description: 'Held by the coordination point at a central facility: booked nationally, not at the municipality' }),
    nights: Type.Integer({ minimum: 0, description: 'Nights so far; an open stay counts up to today (Europe/Amsterdam)' }),
    costCents: Type.Integer({ minimum: 0, description: 'nights × nightlyCostCents' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type ShelterStayView = Static<typeof ShelterStay>;

export const ShelterStayPage = Type.Object(
  {
    items: Type.Array(ShelterStay, { maxItems: PAGE_SIZE_MAX }),
    page: Type.Integer({ minimum: 1 }),
    pageSize: Type.Integer({ minimum: 1 }),
    total: Type.Integer({ minimum: 0 }),
    totalNights: Type.Integer({ minimum: 0, description: 'Nights of every stay of this family, not only this page' }),
    totalCostCents: Type.Integer({ minimum: 0 }),
  },
  { title: 'ShelterStayPage' },
);

export const ListShelterStaysQuery = Type.Object({ ...PagingQuery }, { additionalProperties: false });
