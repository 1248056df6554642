import { Type } from 'typebox';
import { CalendarDate, MunicipalityCode, PagingQuery, Period, Reason, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';
import { OUTCOMES, STATUSES } from '../registrations/registrations-schemas.js';

export const ALLOCATION_STATUSES = ['proposed', 'approved', 'rejected', 'accepted', 'declined', 'withdrawn'] as const;

const CandidateSchema = Type.Object(
  {
    code: MunicipalityCode,
    entitlement: Type.String({ maxLength: 200, description: 'Exact entitlement E after this family, as a fraction' }),
    entitlementDisplay: Type.Number(),
    allocatedBefore: Type.Integer(),
    allocatedAfter: Type.Integer(),
    balance: Type.String({ maxLength: 200, description: 'E − A before the allocation; positive is a backlog' }),
    balanceDisplay: Type.Number(),
    deadline: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    deadlineDisplay: Type.Union([Type.Number(), Type.Null()]),
    withinUpperQuota: Type.Boolean(),
    inNetwork: Type.Boolean(),
  },
  { additionalProperties: true },
);

export const ExplanationSchema = Type.Object(
  {
    rule: Type.String({ maxLength: 100 }),
    keyVersion: Type.Integer(),
    units: Type.Integer(),
    selection: Type.String({ maxLength: 100 }),
    chosen: Type.Union([CandidateSchema, Type.Null()]),
    runnersUp: Type.Array(CandidateSchema, { maxItems: 20 }),
    constraints: Type.Object(
      {
        removed: Type.Array(
          Type.Object({ reason: Type.String({ maxLength: 100 }), count: Type.Integer(), codes: Type.Array(MunicipalityCode, { maxItems: 400 }) }, { additionalProperties: true }),
          { maxItems: 50 },
        ),
      },
      { additionalProperties: true },
    ),
    unconstrainedChoice: Type.Optional(Type.Union([MunicipalityCode, Type.Null()], { description: 'What the quota rule would have chosen without any family constraint' })),
    unconstrainedRemovedBy: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()], { description: 'The reason that removed it for this family' })),
    summaryNl: Type.Optional(Type.String({ maxLength: 2000, description: 'One or two sentences in Dutch: the quota, what removed municipalities, the need or capacity that decided, the fallback' })),
    maatwerk: Type.Optional(
      Type.Object(
        {
          needs: Type.Array(Type.Object({ kind: Type.String({ maxLength: 50 }), mode: StringEnum(['hard', 'soft'] as const) }, { additionalProperties: false }), { maxItems: 10 }),
          capacity: Type.Union([
            Type.Object(
              { declarationId: Uuid, municipality: MunicipalityCode, kind: StringEnum(['dwelling', 'flex_unit'] as const), bedrooms: Type.Integer({ minimum: 1 }), accessible: Type.Boolean() },
              { additionalProperties: false },
            ),
            Type.Null(),
          ], { description: 'The declared dwelling this allocation is booked against' }),
        },
        { additionalProperties: true, description: 'What maatwerk added: the needs and how they counted, region, work region, capacity booked, needs-policy version, shelter credit' },
      ),
    ),
  },
  { additionalProperties: true, description: 'Why this municipality: the key, the candidates and the constraints that removed others' },
);

export const AllocationSchema = Type.Object({
  id: Uuid,
  registrationId: Uuid,
  municipality: MunicipalityCode,
  status: StringEnum(ALLOCATION_STATUSES),
  kind: StringEnum(['engine', 'override'] as const),
  units: Type.Integer({ minimum: 1 }),
  keyVersion: Type.Integer({ minimum: 1 }),
  period: Period,
  createdAt: Timestamp,
  decidedAt: Type.Union([Timestamp, Type.Null()]),
  reason: Type.Union([Type.String({ maxLength: 2000 }), Type.Null()]),
  explanation: ExplanationSchema,
  family: Type.Object({
    reportingMunicipality: MunicipalityCode,
    registrationStatus: StringEnum(STATUSES),
    reportedOn: CalendarDate,
    adults: Type.Integer(),
    children: Type.Integer(),
    householdSize: Type.Integer(),
    childrenAges: Type.Array(Type.Integer({ minimum: 0, maximum: 150 }), { maxItems: 20 }),
    needs: Type.Object({}, { additionalProperties: true }),
    networkMunicipalities: Type.Array(MunicipalityCode, { maxItems: 20 }),
    daysWaiting: Type.Integer({ minimum: 0 }),
  }),
});

export const ListAllocationsQuery = Type.Object(
  { status: Type.Optional(StringEnum(ALLOCATION_STATUSES)), municipality: Type.Optional(MunicipalityCode), ...PagingQuery },
  { additionalProperties: false },
);

export const ReasonBody = Type.Object({ reason: Reason }, { additionalProperties: false });
export const OptionalReasonBody = Type.Object({ reason: Type.Optional(Reason) }, { additionalProperties: false });
export const OverrideBody = Type.Object({ municipality: MunicipalityCode, reason: Reason }, { additionalProperties: false });
export const TransferBody = Type.Object({ transferredOn: CalendarDate }, { additionalProperties: false });
export const OutcomeBody = Type.Object({ type: StringEnum(OUTCOMES), reason: Type.Optional(Reason) }, { additionalProperties: false });
