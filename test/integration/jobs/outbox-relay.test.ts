// The outbox relay on a real database with a queue the test controls: a batch goes to the queue
// in one addBulk and is marked sent in one UPDATE; a failed add leaves the whole batch unsent,
// counts the attempt on each row, and logs the outage once.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { systemClock } from '../../../src/clock.js';
import { createDatabase, type Database } from '../../../src/db/client.js';
import { outbox } from '../../../src/db/schema/index.js';
import type { BulkJob, JobQueue } from '../../../src/jobs/jobs.js';
import { createOutboxRelay, enqueueInTx } from '../../../src/jobs/outbox.js';
import { createTestDatabase } from '../../support/harness.js';

/** PostgreSQL, and PGlite as in embedded mode. */
const backends: Array<[string, () => Promise<{ database: Database; drop: () => Promise<void> }>]> = [
  [
    'postgres',
    async () => {
      const created = await createTestDatabase();
      const database = await createDatabase({ databaseUrl: created.url, dataDir: '/nonexistent', poolMax: 2 });
      return { database, drop: created.drop };
    },
  ],
  [
    'pglite',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'spreiding-relay-'));
      const database = await createDatabase({ databaseUrl: undefined, dataDir: dir, poolMax: 1 });
      return { database, drop: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  ],
];

function fakeQueue() {
  const calls: BulkJob[][] = [];
  let failWith: Error | undefined;
  const queue: JobQueue = {
    add: async () => {
      throw new Error('the relay sends in bulk');
    },
    addBulk: async (jobs) => {
      calls.push([...jobs]);
      if (failWith) throw failWith;
    },
    resend: async () => {},
    schedule: async () => {},
    ping: async () => {},
    close: async () => {},
  };
  return { queue, calls, fail: (e: Error | undefined) => (failWith = e) };
}

function fakeLogger() {
  const lines: Array<[string, string]> = [];
  const at = (level: string) => (a: unknown, b?: unknown) => lines.push([level, typeof a === 'string' ? a : String(b)]);
  return { logger: { warn: at('warn'), info: at('info'), debug: at('debug'), error: at('error') } as unknown as Logger, lines };
}

describe.each(backends)('outbox relay on %s', (_kind, open) => {
  let database: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ database, drop } = await open());
    await database.migrate();
  });
  afterAll(async () => {
    await database?.close();
    await drop?.();
  });

  it('sends a batch with one addBulk, keeps it unsent while the queue fails, then marks it sent', async () => {
    const ids = Array.from({ length: 5 }, () => randomUUID());
    let tick = Date.parse('2026-11-30T10:00:00Z');
    const steady = { now: () => new Date(tick++) };
    for (const id of ids) await enqueueInTx(database.db, steady, 'allocate', { v: 1, registrationId: id, round: 1 }, id);
    const q = fakeQueue();
    const log = fakeLogger();
    const relay = createOutboxRelay({ db: database.db, queue: q.queue, clock: systemClock, logger: log.logger, pollMs: 60_000 });
    try {
      q.fail(new Error('Connection is closed.'));
      expect(await relay.drain()).toBe(0);
      expect(await relay.drain()).toBe(0);
      const unsent = await database.db.select().from(outbox);
      expect(unsent.every((r) => r.sentAt === null && r.attempts === 2 && r.lastError === 'Connection is closed.')).toBe(true);
      expect(log.lines).toEqual([['warn', 'outbox relay: queue unavailable; will retry']]);

      q.fail(undefined);
      expect(await relay.drain()).toBe(5);
      expect(q.calls).toHaveLength(3);
      expect(q.calls[2]!.map((j) => j.jobId)).toEqual(ids);
      expect(q.calls[2]![0]).toEqual({ name: 'allocate', payload: { v: 1, registrationId: ids[0], round: 1 }, jobId: ids[0] });
      const sent = await database.db.select().from(outbox);
      expect(sent.every((r) => r.sentAt !== null && r.attempts === 2)).toBe(true);
      expect(log.lines.at(-1)).toEqual(['info', 'outbox relay: queue reachable again']);

      // Nothing left: no call to the queue.
      expect(await relay.drain()).toBe(0);
      expect(q.calls).toHaveLength(3);
    } finally {
      await relay.stop();
    }
  });

  it('sends a row handed over after commit without reading the table; another relay’s poll leaves it alone for the grace period', async () => {
    await database.db.delete(outbox);
    const clock = { now: () => new Date('2026-11-30T11:00:00Z') };
    const id = randomUUID();
    const payload = { v: 1 as const, registrationId: id, round: 1 };
    await enqueueInTx(database.db, clock, 'allocate', payload, id);
    const [row] = await database.db.select().from(outbox);
    const mine = fakeQueue();
    const other = fakeQueue();
    const relay = createOutboxRelay({ db: database.db, queue: mine.queue, clock, logger: fakeLogger().logger, pollMs: 20 });
    const elsewhere = createOutboxRelay({ db: database.db, queue: other.queue, clock, logger: fakeLogger().logger, pollMs: 20 });
    try {
      // Another api process polls: the row is younger than the grace period, so it is not its to send.
      await new Promise((r) => setTimeout(r, 100));
      expect(other.calls).toEqual([]);
      relay.nudge([{ id: row!.id, jobName: 'allocate', jobId: id, payload }]);
      await new Promise((r) => setTimeout(r, 100));
      expect(mine.calls).toEqual([[{ name: 'allocate', payload, jobId: id }]]);
      expect((await database.db.select().from(outbox))[0]!.sentAt).not.toBeNull();
      expect(other.calls).toEqual([]);

      // A row nobody handed over (its writer died, or is a worker) is polled once a relay has
      // seen it unsent for the grace period (2 s of its own time: the service clock here stands still).
      const lost = randomUUID();
      await enqueueInTx(database.db, clock, 'allocate', { v: 1, registrationId: lost, round: 1 }, lost);
      await new Promise((r) => setTimeout(r, 1_000));
      expect([...mine.calls, ...other.calls].flat().map((j) => j.jobId)).not.toContain(lost);
      await new Promise((r) => setTimeout(r, 1_500));
      expect([...mine.calls, ...other.calls].flat().map((j) => j.jobId)).toContain(lost);
    } finally {
      await relay.stop();
      await elsewhere.stop();
    }
  });
});
