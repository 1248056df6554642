// Notifications (issue 13): subscriptions, the fan-out of events to them, and each delivery.
// A delivery runs on its own queue and worker, outside every business transaction, with a
// deadline, retries with exponential backoff and a log; it carries ids and links only.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics/metrics-registry.js';
import type { Db } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { AppError, notFound } from '../../http/errors.js';
import type { JobQueue } from '../../jobs/jobs.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { bound, type PiiCrypto } from '../pii/pii-crypto.js';
import type { EventType, NotifyEvent } from './webhook-events.js';
import { DeliveryError, postJson, targetProblem, type TargetProblem } from './webhook-http.js';
import { ownedBy, ownerOf, type DeliveryRow, type SubscriptionRow, type WebhookRepository } from './webhook-repository.js';

/** Live subscriptions per organisation at most: enough for a test and a production receiver per event group. */
export const MAX_SUBSCRIPTIONS_PER_OWNER = 10;
/** A delivery still pending and never tried after this long lost its job; the periodic sweep queues it again. */
const LOST_AFTER_MS = 5 * 60_000;
const SWEEP_BATCH = 500;
/** After this many failed attempts in a row an endpoint is skipped for a while, so it holds no worker slot. */
const BREAKER_FAILURES = 5;
const BREAKER_BASE_MS = 30_000;
const BREAKER_MAX_MS = 30 * 60_000;
const USER_AGENT = 'spreiding-webhooks/1';

const TARGET_MESSAGES: Record<TargetProblem, string> = {
  https_required: 'must be an https URL',
  credentials_in_url: 'must not hold a user name or password',
  target_not_allowed: 'must resolve to public addresses only (not loopback, private or link-local)',
  target_unresolvable: 'has a host name that does not resolve',
};

/** Standard Webhooks signature (`webhook-signature: v1,<base64>`) over id, timestamp and body. */
export function signature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * Delivery outcomes, counted for Prometheus: delivered; retried (an attempt failed and will be
 * tried again); failed (given up: attempts used up, or 410 Gone); skipped (an attempt not made
 * because the endpoint kept failing).
 */
export type DeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'skipped';

export function createWebhooksService(deps: {
  db: Db;
  repo: WebhookRepository;
  audit: AuditService;
  pii: PiiCrypto;
  clock: Clock;
  logger: Logger;
  settings: Config['webhooks'];
  /** The webhook queue (its own BullMQ queue, or in-process in embedded mode). */
  queue: () => JobQueue;
  metrics: Metrics;
}) {
  const { db, repo, pii, clock, settings } = deps;
  const deliveries = deps.metrics.counter({
    name: 'spreiding_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retried, failed for good, skipped by the circuit breaker)',
    labelNames: ['outcome'] as const,
  });
  const count = (outcome: DeliveryOutcome) => deliveries.inc({ outcome });
  const breaker = new Map<string, { failures: number; openUntil: number }>();

  const view = (s: SubscriptionRow) => ({
    id: s.id,
    url: s.url,
    eventTypes: s.eventTypes as EventType[],
    owner: { role: s.ownerRole, municipality: s.ownerMunicipality },
    status: s.retiredAt ? ('retired' as const) : ('active' as const),
    createdAt: s.createdAt.toISOString(),
    retiredAt: s.retiredAt?.toISOString() ?? null,
  });

  const deliveryView = (d: DeliveryRow) => ({
    id: d.id,
    eventId: d.eventId,
    eventType: d.eventType as EventType,
    subject: d.subject,
    eventTime: d.eventTime.toISOString(),
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    lastDurationMs: d.lastDurationMs,
    createdAt: d.createdAt.toISOString(),
    lastAttemptAt: d.lastAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
  });

  async function owned(principal: Principal, id: string) {
    const row = await repo.get(db, id, ownedBy(principal));
    if (!row) throw notFound('Webhook subscription');
    return row;
  }

  /** The CloudEvent (NL GOV profile, JSON format) a subscriber gets: ids and a link to fetch the rest with its own token. */
  function cloudEvent(d: DeliveryRow, s: SubscriptionRow): string {
    // A housing corporation reads families through its own list, not a registration.
    const dataref =
      s.ownerRole === 'housing_corporation' ? `${settings.publicBaseUrl}/api/v1/assigned-families` : `${settings.publicBaseUrl}/api/v1/registrations/${d.subject}`;
    return JSON.stringify({
      specversion: '1.0',
      id: d.eventId,
      source: settings.source,
      type: d.eventType,
      time: d.eventTime.toISOString(),
      subject: d.subject,
      datacontenttype: 'application/json',
      dataref,
      data: d.data,
    });
  }

  function breakerOpen(subscriptionId: string): number | null {
    const b = breaker.get(subscriptionId);
    return b && b.openUntil > Date.now() ? b.openUntil : null;
  }
  function noteOutcome(subscriptionId: string, ok: boolean) {
    if (ok) {
      breaker.delete(subscriptionId);
      return;
    }
    const b = breaker.get(subscriptionId) ?? { failures: 0, openUntil: 0 };
    b.failures++;
    if (b.failures >= BREAKER_FAILURES) b.openUntil = Date.now() + Math.min(BREAKER_MAX_MS, BREAKER_BASE_MS * 2 ** (b.failures - BREAKER_FAILURES));
    breaker.set(subscriptionId, b);
  }

  return {
    async create(actor: Actor, principal: Principal, body: { url: string; eventTypes?: EventType[] | undefined }) {
      const problem = await targetProblem(body.url, settings.allowPrivateTargets);
      if (problem) {
        throw new AppError('validation_failed', 'The webhook URL cannot be used; see errors.', {
          errors: [{ in: 'body', pointer: '/url', code: problem, message: TARGET_MESSAGES[problem] }],
        });
      }
      const id = randomUUID();
      const secret = `whsec_${randomBytes(32).toString('base64')}`;
      const now = clock.now();
      const row = await db.transaction(async (tx) => {
        // Serialises the count and the insert per owner (two concurrent creations cannot both pass the limit).
        await repo.lockOwner(tx, `${principal.role}:${principal.municipality ?? principal.sub}`);
        if ((await repo.countOwned(tx, ownerOf(principal))) >= MAX_SUBSCRIPTIONS_PER_OWNER) {
          throw new AppError('conflict', `At most ${MAX_SUBSCRIPTIONS_PER_OWNER} subscriptions per organisation; delete one first.`);
        }
        const values = {
          id,
          ownerRole: principal.role as SubscriptionRow['ownerRole'],
          ownerMunicipality: principal.role === 'municipality' ? principal.municipality! : null,
          ownerArea: principal.role === 'housing_corporation' ? [...(principal.municipalities ?? [])] : [],
          ownerSub: principal.sub,
          url: body.url,
          eventTypes: [...new Set(body.eventTypes ?? [])],
          secretCiphertext: pii.encrypt(secret, bound('webhook_subscriptions.secret_ciphertext', id)),
          createdAt: now,
          retiredAt: null,
          deletedAt: null,
        };
        await repo.insert(tx, values);
        await deps.audit.record(tx, actor, { action: 'webhook_subscription.create', resourceType: 'webhook_subscription', resourceId: id, statusCode: 201 });
        return values;
      });
      return { ...view(row), secret };
    },

    async list(principal: Principal, q: { page: number; pageSize: number }) {
      const { rows, total } = await repo.list(db, ownedBy(principal), { limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      return { items: rows.map(view), page: q.page, pageSize: q.pageSize, total };
    },

    async get(principal: Principal, id: string) {
      return view(await owned(principal, id));
    },

    async remove(actor: Actor, principal: Principal, id: string) {
      await db.transaction(async (tx) => {
        const row = await repo.get(tx, id, ownedBy(principal));
        if (!row) throw notFound('Webhook subscription');
        await repo.markDeleted(tx, id, clock.now());
        await deps.audit.record(tx, actor, { action: 'webhook_subscription.delete', resourceType: 'webhook_subscription', resourceId: id, statusCode: 204 });
      });
    },

    async deliveries(principal: Principal, id: string, q: { page: number; pageSize: number }) {
      await owned(principal, id);
      const { rows, total } = await repo.deliveries(db, id, { limit: q.pageSize, offset: (q.page - 1) * q.pageSize });
      return { items: rows.map(deliveryView), page: q.page, pageSize: q.pageSize, total };
    },

    /**
     * The `notify` job: a delivery row per matching subscription, then a job per pending
     * delivery on the webhook queue (job id = delivery id). Run twice, it adds no row and no job.
     */
    async fanOut(events: NotifyEvent[]): Promise<number> {
      const now = clock.now();
      const rows: Array<Parameters<WebhookRepository['insertDeliveries']>[1][number]> = [];
      for (const e of events) {
        for (const s of await repo.matching(db, e)) {
          rows.push({
            id: randomUUID(),
            subscriptionId: s.id,
            eventId: e.id,
            eventType: e.type,
            subject: e.registrationId,
            eventTime: new Date(e.time),
            data: { registrationId: e.registrationId, allocationId: e.allocationId, ...(e.deadline ? { deadline: e.deadline } : {}) },
            status: 'pending',
            createdAt: now,
          });
        }
      }
      await repo.insertDeliveries(db, rows);
      const pending = await repo.pendingOfEvents(db, events.map((e) => e.id));
      await deps.queue().addBulk(pending.map((d) => ({ name: 'deliver-webhook' as const, payload: { v: 1 as const, deliveryId: d.id }, jobId: d.id })));
      return pending.length;
    },

    /**
     * The `deliver-webhook` job, one attempt. Throws to have the queue retry it later (with
     * exponential backoff); the last attempt marks the delivery failed instead. 410 Gone retires
     * the subscription (the receiver said so); other answers outside 2xx are retried.
     */
    async deliver(deliveryId: string, attempt: number): Promise<void> {
      const found = await repo.deliveryWithSubscription(db, deliveryId);
      if (!found || found.d.status !== 'pending') return;
      const { d, s } = found;
      if (s.deletedAt || s.retiredAt) {
        await repo.setStatus(db, d.id, 'cancelled');
        return;
      }
      const last = attempt >= settings.maxAttempts;
      const fail = async (error: string, statusCode: number | null, durationMs: number | null, opts: { final?: boolean } = {}) => {
        const final = last || opts.final === true;
        await repo.recordAttempt(db, d.id, { status: final ? 'failed' : 'pending', at: clock.now(), statusCode, error: error.slice(0, 300), durationMs });
        if (final) count('failed');
        else count('retried');
        if (!final) throw new Error(`webhook delivery attempt ${attempt} failed: ${error}`);
      };

      const skipUntil = breakerOpen(s.id);
      if (skipUntil !== null) {
        count('skipped');
        return fail(`skipped: the endpoint failed ${BREAKER_FAILURES} or more times in a row; tried again after ${new Date(skipUntil).toISOString()}`, null, null);
      }
      const body = cloudEvent(d, s);
      const timestamp = Math.floor(clock.now().getTime() / 1000);
      const secret = pii.decrypt(s.secretCiphertext, bound('webhook_subscriptions.secret_ciphertext', s.id));
      const headers = {
        'content-type': 'application/cloudevents+json; charset=utf-8',
        'user-agent': USER_AGENT,
        'webhook-id': d.eventId,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signature(secret, d.eventId, timestamp, body),
        'webhook-request-origin': new URL(settings.publicBaseUrl).host,
      };
      const started = performance.now();
      let status: number;
      try {
        status = await postJson(s.url, headers, body, { timeoutMs: settings.timeoutMs, allowPrivate: settings.allowPrivateTargets });
      } catch (err) {
        noteOutcome(s.id, false);
        const message = err instanceof DeliveryError ? err.message : `network: ${(err as Error).message}`.slice(0, 200);
        return fail(message, null, Math.round(performance.now() - started));
      }
      const durationMs = Math.round(performance.now() - started);
      if (status >= 200 && status < 300) {
        noteOutcome(s.id, true);
        await repo.recordAttempt(db, d.id, { status: 'delivered', at: clock.now(), statusCode: status, error: null, durationMs });
        count('delivered');
        return;
      }
      noteOutcome(s.id, false);
      if (status === 410) {
        await repo.retire(db, s.id, clock.now());
        deps.logger.info({ subscriptionId: s.id }, 'webhook subscription retired: the receiver answered 410 Gone');
        return fail('gone: the receiver retired this endpoint (410); the subscription is retired', status, durationMs, { final: true });
      }
      return fail(`http_status: the receiver answered ${status}`, status, durationMs);
    },

    /** Deliveries whose job was lost (never tried, old enough) are queued again. */
    async resendLost(): Promise<number> {
      const lost = await repo.neverTried(db, new Date(clock.now().getTime() - LOST_AFTER_MS), SWEEP_BATCH);
      for (const d of lost) await deps.queue().resend('deliver-webhook', { v: 1, deliveryId: d.id }, { jobId: d.id });
      return lost.length;
    },

    /** Delivery outcomes in this process since it started (the metrics module's `spreiding_webhook_deliveries_total{outcome}`). */
  };
}
export type WebhooksService = ReturnType<typeof createWebhooksService>;
