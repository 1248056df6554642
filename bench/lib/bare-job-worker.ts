// Floor for proposals: the least an allocate job can do on this machine. A BullMQ worker with
// the service's worker settings (concurrency 4 per process, same Redis options) whose job is one
// transaction on a single hot row: BEGIN; SELECT … FOR UPDATE; UPDATE; COMMIT. Every job of
// every process contends for that row, as every allocation contends for the ledger row.
// Env: DATABASE_URL, REDIS_URL, QUEUE_PREFIX.
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';

export const BARE_QUEUE = 'bare';
const CONCURRENCY = 4;
const POOL_MAX = 10;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_MAX });
const connection = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: null });

const worker = new Worker(
  BARE_QUEUE,
  async () => {
    const c = await pool.connect();
    try {
      await c.query('begin');
      await c.query('select n from bare_counter where id = 1 for update');
      await c.query('update bare_counter set n = n + 1, first_at = coalesce(first_at, clock_timestamp()), last_at = clock_timestamp() where id = 1');
      await c.query('commit');
    } catch (err) {
      await c.query('rollback').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  },
  { connection, prefix: process.env.QUEUE_PREFIX, concurrency: CONCURRENCY },
);

process.on('SIGTERM', () => {
  void worker
    .close()
    .then(() => Promise.all([pool.end(), connection.quit()]))
    .then(() => process.exit(0));
});
