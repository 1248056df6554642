import { Type, type Static } from 'typebox';
import { CalendarDate, Period, StringEnum } from '../../http/schemas.js';
import { REASON_CATEGORIES } from '../review/review-schemas.js';
import { CountSchema } from './aggregate-access.js';

export const CATEGORIES = [...REASON_CATEGORIES, 'unspecified'] as const;

export const ComplianceReportQuery = Type.Object({ period: Period }, { additionalProperties: false });

const Code = Type.String({ pattern: '^GM[0-9]{4}$', minLength: 6, maxLength: 6, description: 'CBS code of the receiving municipality' });
const ByCategory = (what: string) =>
  Type.Array(Type.Object({ category: StringEnum(CATEGORIES), count: CountSchema(`${what} with this reason category`) }, { additionalProperties: false }), {
    maxItems: CATEGORIES.length,
    description: `${what} per reason category (categories with none left out)`,
  });
const Median = Type.Union([Type.Number({ minimum: 0 }), Type.Null()], {
  description: 'Median days (two decimals) from approval to acceptance; null when there is none, or fewer than 5 where counts are suppressed',
});

const Figures = {
  declined: CountSchema('Families the municipality declined in the period'),
  rejected: CountSchema('Proposals to the municipality the coordination point rejected in the period'),
  accepted: CountSchema('Families the municipality accepted in the period'),
  declinedByCategory: ByCategory('Declines'),
  rejectedByCategory: ByCategory('Rejections'),
  medianDaysToAccept: Median,
};

export const ComplianceReport = Type.Object(
  {
    period: Type.String({ pattern: '^[0-9]{4}-H[12]$', minLength: 7, maxLength: 7 }),
    startsOn: CalendarDate,
    endsOn: CalendarDate,
    items: Type.Array(
      Type.Object(
        {
          municipality: Code,
          name: Type.Union([Type.String({ maxLength: 100 }), Type.Null()]),
          ...Figures,
          deadlinesMissed: Type.Object(
            { decision: CountSchema('Accept/decline deadlines that passed'), transfer: CountSchema('Transfer deadlines that passed') },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
      { maxItems: 1000 },
    ),
    totals: Type.Object(
      {
        ...Figures,
        deadlinesMissed: Type.Object(
          {
            review: CountSchema('Review deadlines of the coordination point that passed'),
            decision: CountSchema('Accept/decline deadlines that passed'),
            transfer: CountSchema('Transfer deadlines that passed'),
            attention: CountSchema('Registrations that needed attention longer than the review deadline'),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false, description: 'National' },
    ),
  },
  { additionalProperties: false, title: 'ComplianceReport' },
);
export type ComplianceReportView = Static<typeof ComplianceReport>;
