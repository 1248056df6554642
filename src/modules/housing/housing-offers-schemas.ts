import { Type, type Static } from 'typebox';
import { MunicipalityCode, NullableDate, Page, PagingQuery, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

export const OFFER_STATUSES = ['offered', 'accepted', 'declined', 'withdrawn'] as const;
/** Offers that still count: made and not declined or withdrawn. */
export const LIVE_OFFER_STATUSES = ['offered', 'accepted'] as const;
/** The most bedrooms an offer may name (the contract's bound; larger families get two dwellings). */
export const MAX_BEDROOMS = 10;

const dateWith = (description: string) => Type.String({ format: 'date', minLength: 10, maxLength: 10, description });
const Bedrooms = Type.Integer({ minimum: 1, maximum: MAX_BEDROOMS, description: 'Bedrooms of the dwelling' });

export const CreateHousingOfferBody = Type.Object(
  {
    registrationId: Uuid,
    municipality: MunicipalityCode,
    offeredOn: dateWith('Day the offer was made (YYYY-MM-DD), not in the future'),
    moveInDate: NullableDate('Day the family can move in (YYYY-MM-DD), not before offeredOn; null while unknown'),
    bedrooms: Bedrooms,
    accessible: Type.Boolean({ description: 'The dwelling is accessible (no steps, or a lift)' }),
  },
  {
    additionalProperties: false,
    description: 'No address and nothing else about the dwelling or the family: the corporation and the municipality arrange the rest between them',
  },
);
export type CreateHousingOffer = Static<typeof CreateHousingOfferBody>;

/** JSON Merge Patch (RFC 7396): an absent member stays as it is; moveInDate null clears it. */
export const PatchHousingOfferBody = Type.Object(
  {
    moveInDate: Type.Optional(NullableDate('The corporation that made the offer: the day the family can move in; null clears it')),
    status: Type.Optional(
      StringEnum(['accepted', 'declined', 'withdrawn'] as const, 'withdrawn: the corporation that made the offer; accepted or declined: the receiving municipality or the coordinator'),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type PatchHousingOffer = Static<typeof PatchHousingOfferBody>;

export const ListHousingOffersQuery = Type.Object(
  { registrationId: Type.Optional(Uuid), ...PagingQuery },
  { additionalProperties: false },
);

export const HousingOffer = Type.Object(
  {
    id: Uuid,
    registrationId: Uuid,
    municipality: MunicipalityCode,
    offeredOn: dateWith('Day the offer was made'),
    moveInDate: NullableDate('Day the family can move in; null while unknown'),
    bedrooms: Bedrooms,
    accessible: Type.Boolean(),
    status: StringEnum(OFFER_STATUSES),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false, title: 'HousingOffer' },
);
export type HousingOfferView = Static<typeof HousingOffer>;
export const HousingOfferPage = Page(HousingOffer, 'HousingOfferPage');
