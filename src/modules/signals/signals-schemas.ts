import { Type } from 'typebox';
import { MunicipalityCode, PagingQuery, StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

export const STAGES = ['review', 'decision', 'transfer', 'attention'] as const;
export const LEVELS = ['reminder', 'escalation'] as const;

const Stage = StringEnum(STAGES, 'review: the coordinator reviews a proposal; decision: the receiving municipality accepts or declines; transfer: the family moves; attention: the coordinator acts on a registration that needs attention');
const Level = StringEnum(LEVELS, 'reminder: the deadline passed; escalation: it passed longer ago than the escalation period');
const Responsible = Type.Union([MunicipalityCode, Type.Null()], { description: 'The municipality that has to act; null: the coordination point' });

export const SignalSchema = Type.Object(
  {
    id: Uuid,
    registrationId: Uuid,
    allocationId: Type.Union([Uuid, Type.Null()]),
    stage: Stage,
    level: Level,
    municipality: Responsible,
    stageStartedAt: Timestamp,
    dueAt: Timestamp,
    raisedAt: Timestamp,
    resolvedAt: Type.Union([Timestamp, Type.Null()], { description: 'When the stage ended; null while the signal is open' }),
  },
  { additionalProperties: false, title: 'Signal' },
);

export const ListSignalsQuery = Type.Object(
  {
    status: Type.Optional(StringEnum(['open', 'resolved', 'all'] as const, 'open (default): the worklist')),
    stage: Type.Optional(Stage),
    level: Type.Optional(Level),
    registrationId: Type.Optional(Uuid),
    ...PagingQuery,
  },
  { additionalProperties: false },
);

export const RegistrationSignals = Type.Object(
  {
    deadline: Type.Union(
      [
        Type.Object(
          {
            stage: Stage,
            startedAt: Timestamp,
            dueAt: Timestamp,
            escalatesAt: Timestamp,
            municipality: Responsible,
          },
          { additionalProperties: false, description: 'The current stage and its deadline' },
        ),
        Type.Null(),
      ],
      { description: 'null when the registration is in no stage with a deadline (queued, transferred, housed, closed)' },
    ),
    items: Type.Array(SignalSchema, { maxItems: 200 }),
  },
  { additionalProperties: false, title: 'RegistrationSignals' },
);
