import { Type, type Static } from 'typebox';
import { CalendarDate, MunicipalityCode, Period, StringEnum, Timestamp } from '../../http/schemas.js';
import { PROVINCES } from '../municipalities/municipalities-schemas.js';
import { CountSchema } from './aggregate-access.js';

export const DistributionReportQuery = Type.Object(
  { period: Period, province: Type.Optional(StringEnum(PROVINCES, 'Only this province')) },
  { additionalProperties: false },
);

const Amount = (description: string) => Type.Number({ description: `${description}; units, rounded to 4 decimals` });

const Figures = {
  entitlement: Amount('Shares of the units accrued in the period'),
  proposed: CountSchema('Units proposed in the period and still under review'),
  approved: CountSchema('Units of the period\'s allocations approved (accepted and transferred included)'),
  realised: CountSchema('Units of the period\'s allocations that moved'),
  balance: Amount('E − A (positive: backlog); running now for an open period, at closing for a closed one'),
  carriedIn: Amount('Balance carried in from the previous period'),
  carriedOut: Type.Union([Amount('Balance carried into the next period'), Type.Null()], { description: 'null while the period is open' }),
};

export const DistributionReport = Type.Object(
  {
    period: Period,
    status: StringEnum(['open', 'closed'] as const),
    startsOn: CalendarDate,
    endsOn: CalendarDate,
    closedAt: Type.Union([Timestamp, Type.Null()]),
    keyVersion: Type.Integer({ minimum: 1 }),
    items: Type.Array(
      Type.Object({ municipality: MunicipalityCode, name: Type.String({ maxLength: 100 }), province: Type.String({ maxLength: 50 }), ...Figures }, { additionalProperties: false }),
      { maxItems: 1000 },
    ),
    provinces: Type.Array(
      Type.Object({ province: Type.String({ maxLength: 50 }), municipalities: Type.Integer({ minimum: 0 }), ...Figures }, { additionalProperties: false }),
      { maxItems: 20 },
    ),
    totals: Type.Object({ municipalities: Type.Integer({ minimum: 0 }), ...Figures }, { additionalProperties: false }),
  },
  { additionalProperties: false, title: 'DistributionReport' },
);
export type DistributionReportView = Static<typeof DistributionReport>;
