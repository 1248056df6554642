// Retention and erasure (AVG art. 5(1)(e), 17): a closed case keeps its personal data for
// RETENTION_AFTER_CLOSE_DAYS, then a daily job pseudonymises it; the coordinator can erase it
// sooner on a ground. Both run `pseudonymise`, which is idempotent.
import type { Db, Tx } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import { AppError, illegalTransition, notFound } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import { CLOSED_STATES, withoutFamilyDetail } from './privacy-policy.js';
import type { PrivacyRepository } from './privacy-repository.js';
import type { Erasure, ErasureGround } from './privacy-schemas.js';

/** Cases pseudonymised per transaction: a short lock on a few rows at a time, never the table. */
const BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface PrivacyDeps {
  db: Db;
  repo: PrivacyRepository;
  registrations: RegistrationsRepository;
  audit: AuditService;
  clock: Clock;
  retentionAfterCloseDays: number;
}

export function createPrivacyService(deps: PrivacyDeps) {
  const { db, repo, clock } = deps;

  /** Erases the case's personal data, with a history event and an audit line; the caller holds the row lock. */
  async function pseudonymise(tx: Tx, reg: RegistrationRow, actor: Actor, principal: Principal | null, ground: ErasureGround, reference?: string) {
    const now = clock.now();
    const explanations = (await repo.allocationsOf(tx, reg.id)).map((a) => ({ id: a.id, explanation: withoutFamilyDetail(a.explanation) }));
    await repo.erase(tx, reg.id, now, explanations);
    const action = ground === 'retention_period' ? 'pseudonymised' : 'erased';
    await deps.registrations.addEvent(tx, {
      registrationId: reg.id,
      action,
      fromStatus: reg.status,
      toStatus: reg.status,
      actorSub: actor.sub,
      actorRole: actor.role,
      actorMunicipality: principal?.municipality ?? null,
      at: now,
    });
    await deps.audit.record(tx, actor, {
      action: `registration.${action}`,
      resourceType: 'registration',
      resourceId: reg.id,
      registrationId: reg.id,
      detail: { ground, ...(reference ? { reference } : {}) },
    });
    return now;
  }

  return {
    /**
     * The daily job: every closed or housed case whose retention period has passed, in batches.
     * Idempotent (a pseudonymised case is not picked again) and safe beside another run
     * (SKIP LOCKED). Answers how many cases it pseudonymised.
     */
    async pseudonymiseDue(actor: Actor): Promise<number> {
      const closedBefore = new Date(clock.now().getTime() - deps.retentionAfterCloseDays * DAY_MS);
      let total = 0;
      for (;;) {
        const done = await db.transaction(async (tx) => {
          const due = await repo.due(tx, closedBefore, BATCH);
          for (const reg of due) await pseudonymise(tx, reg, actor, null, 'retention_period');
          return due.length;
        });
        total += done;
        if (done < BATCH) return total;
      }
    },

    /** The coordinator erases a closed case's personal data now, on a ground (a request of the family, …). */
    async erase(actor: Actor, principal: Principal, registrationId: string, body: Erasure) {
      return db.transaction(async (tx) => {
        const reg = await deps.registrations.get(tx, registrationId, { forUpdate: true });
        if (!reg) throw notFound('Registration');
        if (reg.pseudonymisedAt) throw new AppError('illegal_transition', `The case's personal data was erased on ${reg.pseudonymisedAt.toISOString()} already.`);
        if (!CLOSED_STATES.includes(reg.status)) {
          throw illegalTransition(`The case is ${reg.status}: close it first (POST /api/v1/registrations/${reg.id}/outcome, e.g. withdrawn), then erase its personal data.`);
        }
        const at = await pseudonymise(tx, reg, actor, principal, body.reason, body.reference);
        return { registrationId: reg.id, pseudonymisedAt: at.toISOString(), reason: body.reason };
      });
    },
  };
}
export type PrivacyService = ReturnType<typeof createPrivacyService>;
