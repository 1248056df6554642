import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../../db/client.js';
import { auditEvents } from '../../db/schema/index.js';
import type { Clock } from '../../clock.js';
import type { Principal } from '../auth/auth-tokens.js';

/** Who acts, and in which request: everything the processing log needs about the caller. */
export interface Actor {
  readonly sub: string;
  readonly role: string;
  /** GM code of a municipality, or the working area's first code for a housing corporation. */
  readonly organisation: string | null;
  readonly traceId: string | null;
}

export function actorOf(principal: Principal, traceId: string | null): Actor {
  return {
    sub: principal.sub,
    role: principal.role,
    organisation: principal.municipality ?? (principal.role === 'coordinator' ? 'LCP' : principal.role === 'policy_viewer' ? 'policy' : principal.municipalities?.join(',').slice(0, 200) ?? null),
    traceId,
  };
}

/** Jobs act as the system, on behalf of the request that queued them. */
export const systemActor = (traceId: string | null = null): Actor => ({ sub: 'system:worker', role: 'system', organisation: 'LCP', traceId });

export interface AuditEntry {
  action: string;
  resourceType: string;
  resourceId?: string | null;
  registrationId?: string | null;
  statusCode?: number;
  /** Old and new values of a change, or the ground of an erasure. Never personal data: the audit log outlives it. */
  detail?: Record<string, unknown>;
}

export type AuditRow = Omit<typeof auditEvents.$inferInsert, 'id'>;

/** The rows `record` writes; for a caller that writes them inside a statement of its own. */
export function auditRows(actor: Actor, entries: AuditEntry[], at: Date): AuditRow[] {
  return entries.map((e) => ({
    at,
    actorSub: actor.sub,
    actorRole: actor.role,
    actorOrganisation: actor.organisation,
    action: e.action,
    resourceType: e.resourceType,
    resourceId: e.resourceId ?? null,
    registrationId: e.registrationId ?? null,
    traceId: actor.traceId,
    statusCode: e.statusCode ?? null,
    detail: e.detail ?? null,
  }));
}

export interface AuditEventView {
  id: number;
  at: string;
  actor: { sub: string; role: string; organisation: string | null };
  action: string;
  resourceType: string;
  resourceId: string | null;
  registrationId: string | null;
  traceId: string | null;
  detail: Record<string, unknown> | null;
}

export function createAuditService(deps: { db: Db; clock: Clock }) {
  return {
    /** Written in the caller's transaction, so a change and its log line commit together. */
    async record(tx: DbOrTx, actor: Actor, entries: AuditEntry | AuditEntry[]) {
      const list = Array.isArray(entries) ? entries : [entries];
      if (list.length === 0) return;
      await tx.insert(auditEvents).values(auditRows(actor, list, deps.clock.now()));
    },

    async list(q: { registrationId?: string; before?: number; pageSize: number }): Promise<AuditEventView[]> {
      const where = and(
        q.registrationId ? eq(auditEvents.registrationId, q.registrationId) : undefined,
        q.before ? lt(auditEvents.id, q.before) : undefined,
      );
      const rows = await deps.db.select().from(auditEvents).where(where).orderBy(desc(auditEvents.id)).limit(q.pageSize);
      return rows.map((r) => ({
        id: r.id,
        at: r.at.toISOString(),
        actor: { sub: r.actorSub, role: r.actorRole, organisation: r.actorOrganisation },
        action: r.action,
        resourceType: r.resourceType,
        resourceId: r.resourceId,
        registrationId: r.registrationId,
        traceId: r.traceId,
        detail: (r.detail as Record<string, unknown> | null) ?? null,
      }));
    },

    async count(registrationId?: string): Promise<number> {
      const [row] = await deps.db
        .select({ n: sql<number>`count(*)::int` })
        .from(auditEvents)
        .where(registrationId ? eq(auditEvents.registrationId, registrationId) : undefined);
      return row?.n ?? 0;
    },
  };
}
export type AuditService = ReturnType<typeof createAuditService>;
