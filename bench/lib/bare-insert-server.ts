// Floor for intake: the least a registration endpoint can do on this machine. Fastify validates
// the same body schema as POST /api/v1/registrations (its default Ajv), then one INSERT through
// a node-pg pool of the service's default size, then 202. No auth, no rate limit, no logging,
// no encryption, no duplicate check, no outbox.
// Env: DATABASE_URL, PORT.
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { CreateRegistrationBody } from '../../src/modules/registrations/registrations-schemas.js';

const POOL_MAX = 10;

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: POOL_MAX });
await pool.query(`create table if not exists bare_registrations (id uuid primary key, body jsonb not null, created_at timestamptz not null)`);

const app = Fastify({ logger: false });
app.post('/bare', { schema: { body: CreateRegistrationBody } }, async (req, reply) => {
  const id = randomUUID();
  await pool.query('insert into bare_registrations (id, body, created_at) values ($1, $2, now())', [id, req.body]);
  return reply.code(202).send({ id });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });

process.on('SIGTERM', () => {
  void app.close().then(() => pool.end()).then(() => process.exit(0));
});
