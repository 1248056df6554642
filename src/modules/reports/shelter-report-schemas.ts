import { Type, type Static } from 'typebox';
import { CalendarDate, Period } from '../../http/schemas.js';

// Response copies of the shared patterns without `examples`, which OpenAPI 3.0 does not allow
// inside a per-media-type response schema (the swagger plugin converts it only elsewhere).
const ReportPeriod = Type.String({ pattern: '^20[0-9]{2}-H[12]$', minLength: 7, maxLength: 7, description: 'Half-year period' });
const Code = Type.String({ pattern: '^GM[0-9]{4}$', minLength: 6, maxLength: 6, description: 'CBS code of the reporting municipality' });

export const ShelterReportQuery = Type.Object(
  {
    period: Period,
    municipality: Type.Optional(Type.String({ pattern: '^GM[0-9]{4}$', minLength: 6, maxLength: 6, description: 'Only this reporting municipality (a municipality always gets only its own)' })),
  },
  { additionalProperties: false },
);

const Days = Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description: 'Calendar days, two decimals; null when no registration got this far' });
const Wait = (what: string) =>
  Type.Object(
    {
      count: Type.Integer({ minimum: 0, description: `Registrations reported in the period that reached ${what}` }),
      median: Days,
      p90: Days,
    },
    { additionalProperties: false, description: `Days from the registration date to ${what}` },
  );

const Figures = {
  familiesSheltered: Type.Integer({ minimum: 0, description: 'Families with at least one night of shelter in the period' }),
  stays: Type.Integer({ minimum: 0, description: 'Stays with at least one night in the period' }),
  nights: Type.Integer({ minimum: 0, description: 'Nights in the period (stays clipped to it; an open stay up to today)' }),
  costCents: Type.Integer({ minimum: 0, description: 'Cost of those nights in euro cents' }),
  longStays: Type.Integer({ minimum: 0, description: 'Of those stays, the ones that by the end of the period (or today) ran more than longStayDays nights' }),
  registrationsReported: Type.Integer({ minimum: 0, description: 'Registrations with a registration date in the period' }),
  daysToProposal: Wait('the first proposal'),
  daysToApproval: Wait('approval'),
  daysToTransfer: Wait('transfer'),
};

export const ShelterReportItem = Type.Object(
  { municipality: Code, name: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]), ...Figures },
  { additionalProperties: false },
);
export type ShelterReportItemView = Static<typeof ShelterReportItem>;

export const ShelterReport = Type.Object(
  {
    period: ReportPeriod,
    startsOn: CalendarDate,
    endsOn: CalendarDate,
    asOf: Type.String({ format: 'date', maxLength: 10, description: 'Today (Europe/Amsterdam): open stays count up to here' }),
    longStayDays: Type.Integer({ minimum: 1 }),
    items: Type.Array(ShelterReportItem, { maxItems: 1000 }),
    totals: Type.Object(Figures, { additionalProperties: false, description: 'Over every row in items; percentiles over all registrations, not averaged' }),
    centralShelter: Type.Union(
      [
        Type.Object(
          {
            familiesSheltered: Figures.familiesSheltered,
            stays: Figures.stays,
            nights: Figures.nights,
            costCents: Figures.costCents,
            longStays: Figures.longStays,
          },
          { additionalProperties: false },
        ),
        Type.Null(),
      ],
      {
        description:
          'Stays the coordination point held at a central facility (CENTRAL_SHELTER), booked nationally and not in any municipality\'s row; ' +
          'null for a municipality (they are not its costs)',
      },
    ),
  },
  { additionalProperties: false, title: 'ShelterReport' },
);
export type ShelterReportView = Static<typeof ShelterReport>;
