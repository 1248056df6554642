import { Type, type Static } from 'typebox';
import { CalendarDate, MunicipalityCode, NullableDate, PagingQuery, PAGE_SIZE_MAX, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

export const SHELTER_TYPES = ['hotel', 'holiday_park', 'shelter_facility', 'other'] as const;
export type ShelterType = (typeof SHELTER_TYPES)[number];

/**
 * €2,500 a night: several hotel rooms for a large family stay far below it, while a typo in cents
 * (a rate entered in cents twice over, an extra zero or three) lands above it and is refused.
 */
export const MAX_NIGHTLY_COST_CENTS = 250_000;
/** Nothing this service records happened before 2020 (the policy is from 2024): an earlier date is a typo. */
export const EARLIEST_SHELTER_DATE = '2020-01-01';

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

/** A correction: what differs from the corrected stay (the start date too); absent members are copied from it. */
export const CorrectShelterStayBody = Type.Object(
  { ...PatchShelterStayBody.properties, startDate: Type.Optional(StartDate) },
  { additionalProperties: false, minProperties: 1 },
);
export type CorrectShelterStay = Static<typeof CorrectShelterStayBody>;

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
    corrects: Type.Union([Uuid, Type.Null()], { description: 'The stay this one corrects (which no longer counts)' }),
    locked: Type.Boolean({ description: 'Evidence of a closed period or a closed case: only a correction can change it' }),
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
