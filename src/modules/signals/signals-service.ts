// Deadlines per stage and the signals they raise (issue 13): the scan, the worklist, and a
// registration's own deadline.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../db/client.js';
import type { SignalLevel, SignalStage } from '../../db/schema/index.js';
import type { Clock } from '../../clock.js';
import { notFound } from '../../http/errors.js';
import type { Principal } from '../auth/auth-tokens.js';
import { canSee } from '../registrations/registrations-service.js';
import { visibleTo, type RegistrationsRepository } from '../registrations/registrations-repository.js';
import { audienceOf, writeEventsInTx, type NotifyEvent } from '../webhooks/webhook-events.js';
import { minimumDays, stageDeadline, type DeadlineSettings } from './deadlines.js';
import type { SignalRow, SignalsRepository, StageInstance } from './signals-repository.js';

const DAY_MS = 86_400_000;
const STAGES: SignalStage[] = ['review', 'decision', 'transfer', 'attention'];
/** Signals listed with a registration at most (a registration has a handful). */
const PER_REGISTRATION = 200;

export function signalView(s: SignalRow) {
  return {
    id: s.id,
    registrationId: s.registrationId,
    allocationId: s.allocationId,
    stage: s.stage,
    level: s.level,
    municipality: s.municipality,
    stageStartedAt: s.stageStartedAt.toISOString(),
    dueAt: s.dueAt.toISOString(),
    raisedAt: s.raisedAt.toISOString(),
    resolvedAt: s.resolvedAt?.toISOString() ?? null,
  };
}

export function createSignalsService(deps: {
  db: Db;
  repo: SignalsRepository;
  registrations: RegistrationsRepository;
  clock: Clock;
  settings: DeadlineSettings;
}) {
  const { db, repo, clock, settings } = deps;

  function deadlineView(stage: StageInstance) {
    const d = stageDeadline(stage.stage, stage.startedAt, settings);
    return {
      stage: stage.stage,
      startedAt: stage.startedAt.toISOString(),
      dueAt: d.dueAt.toISOString(),
      escalatesAt: d.escalatesAt.toISOString(),
      municipality: stage.municipality,
    };
  }

  return {
    /**
     * The scheduled job. Idempotent: a signal exists once per registration, stage instance and
     * level (unique index), so a scan that runs twice (scheduler races, BullMQ's at-least-once)
     * raises nothing new; only newly raised signals send an event. Stale open signals (their
     * stage ended while a scan ran) are resolved in the same transaction.
     */
    async scan(): Promise<{ raised: number; resolved: number }> {
      const now = clock.now();
      const cutOff = Object.fromEntries(STAGES.map((s) => [s, new Date(now.getTime() - minimumDays(s, settings) * DAY_MS)])) as Record<SignalStage, Date>;
      return db.transaction(async (tx) => {
        const stages = await repo.stagesStartedBefore(tx, cutOff);
        const wanted = stages.flatMap((st) => {
          const d = stageDeadline(st.stage, st.startedAt, settings);
          const levels: Array<[SignalLevel, Date]> = [['reminder', d.dueAt], ['escalation', d.escalatesAt]];
          return levels
            .filter(([, at]) => at.getTime() <= now.getTime())
            .map(([level]) => ({
              id: randomUUID(),
              registrationId: st.registrationId,
              allocationId: st.allocationId,
              stage: st.stage,
              level,
              municipality: st.municipality,
              stageStartedAt: st.startedAt,
              dueAt: level === 'reminder' ? d.dueAt : d.escalatesAt,
              raisedAt: now,
            }));
        });
        const raised = await repo.raise(tx, wanted);
        const byRegistration = new Map(stages.map((s) => [s.registrationId, s]));
        const events: NotifyEvent[] = raised.map((s) => {
          const st = byRegistration.get(s.registrationId)!;
          return {
            id: randomUUID(),
            type: s.level === 'reminder' ? 'nl.spreiding.deadline.reminder' : 'nl.spreiding.deadline.escalation',
            registrationId: s.registrationId,
            allocationId: s.allocationId,
            time: now.toISOString(),
            ...audienceOf(st),
            deadline: { stage: s.stage, level: s.level, dueAt: s.dueAt.toISOString() },
          };
        });
        await writeEventsInTx(tx, clock, events);
        const resolved = await repo.resolveStale(tx, now);
        return { raised: raised.length, resolved };
      });
    },

    /** The worklist: the coordinator sees every signal; a municipality those of families it may see now. */
    async list(principal: Principal, q: { status: 'open' | 'resolved' | 'all'; stage?: SignalStage; level?: SignalLevel; registrationId?: string; page: number; pageSize: number }) {
      const { rows, total } = await repo.list(db, visibleTo(principal), q, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      return { items: rows.map(signalView), page: q.page, pageSize: q.pageSize, total };
    },

    /** A registration's current deadline (if its stage has one) and every signal it raised. */
    async forRegistration(principal: Principal, registrationId: string) {
      const reg = await deps.registrations.get(db, registrationId);
      if (!reg || !canSee(principal, reg)) throw notFound('Registration');
      const [stage, rows] = await Promise.all([repo.stageOf(db, registrationId), repo.ofRegistration(db, registrationId, PER_REGISTRATION)]);
      return { deadline: stage ? deadlineView(stage) : null, items: rows.map(signalView) };
    },

    openCounts: () => repo.openCounts(db),
  };
}
export type SignalsService = ReturnType<typeof createSignalsService>;
