// Floor for intake that does the same database work as POST /api/v1/registrations: a bare fastify
// route running the service's own one-statement intake (insertIntake: the registration, its
// members, their BSN claims, the event, the outbox row and the audit line, as the same named
// prepared statement over a pool built by the service's createDatabase), with values encrypted
// once at start-up. No auth, no rate limit, no validation or eligibility check, no encryption or
// HMAC per request (the BSN itself stands in for its HMAC: unique, which the claims need), no
// logging, no outbox relay.
// Env: DATABASE_URL, PORT, DATABASE_POOL_MAX (default 10, the service's).
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { createDatabase } from '../../src/db/client.js';
import { bound, createPiiCrypto } from '../../src/modules/pii/pii-crypto.js';
import { createRegistrationsRepository, intakeColumns } from '../../src/modules/registrations/registrations-repository.js';
import type { CreateRegistration } from '../../src/modules/registrations/registrations-schemas.js';
import { TEST_HMAC_KEY, TEST_PII_KEY } from '../../test/support/harness.js';

const database = await createDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: '/nonexistent', poolMax: Number(process.env.DATABASE_POOL_MAX ?? 10) });
const repo = createRegistrationsRepository();
const pii = createPiiCrypto({ encryptionKey: Buffer.from(TEST_PII_KEY, 'base64'), previousEncryptionKeys: [], hmacKey: Buffer.from(TEST_HMAC_KEY, 'base64') });
// Ciphertexts of the same length as the real ones, made once (bound to a row of their own: the
// floor never reads them back).
const once = randomUUID();
const encrypted = {
  bsn: pii.encrypt('123456782', bound('household_members.bsn_ciphertext', once)),
  name: pii.encrypt('Maria Martina', bound('household_members.name_ciphertext', once)),
  notes: pii.encrypt('Moeder werkt als verpleegkundige.', bound('registrations.notes_ciphertext', once)),
};
const actor = { sub: 'bench:bare-intake', role: 'municipality', municipality: 'GM0363', organisation: 'GM0363', traceId: '0af7651916cd43dd8448eb211c80319c' };

const app = Fastify({ logger: false });
app.post('/bare-intake', async (req, reply) => {
  const body = req.body as CreateRegistration;
  const id = randomUUID();
  const now = new Date();
  const members = [
    ...body.household.adults.map((p, i) => ({ role: 'adult' as const, position: i, p })),
    ...body.household.children.map((p, i) => ({ role: 'child' as const, position: i, p })),
  ].map((m) => ({ id: randomUUID(), role: m.role, position: m.position, bsn_hmac: m.p.bsn, bsn_ciphertext: encrypted.bsn, name_ciphertext: encrypted.name, birth_date: m.p.birthDate }));
  await repo.insertIntake(database.db, {
    id,
    ...intakeColumns(body),
    notesCiphertext: body.notes ? encrypted.notes : null,
    now,
    createdBySub: actor.sub,
    members,
    actor,
    outbox: { id: randomUUID(), jobId: id, payload: { v: 1, registrationId: id, round: 1, traceId: actor.traceId } },
    idempotency: undefined,
  });
  return reply.code(202).send({ id, status: 'queued' });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });

process.on('SIGTERM', () => {
  void app.close().then(() => database.close()).then(() => process.exit(0));
});
