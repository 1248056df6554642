// Least privilege in PostgreSQL (issue 14, finding 10): `npm run migrate` runs as the owner of the
// database and grants DATABASE_APP_ROLE what the service needs; the api and worker run as that
// role, and it can neither switch the append-only triggers off nor change, remove or truncate
// what they protect. Roles are cluster-wide: each test run makes its own and drops them.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, PG_ADMIN_URL, sqlRows, startTestApp, testEnv, type TestApp } from '../../support/harness.js';
import { ROOT } from '../../support/processes.js';
import { activeAllocation, coordinatorPost, register, waitForStatus } from '../../support/workflow.js';

const run = promisify(execFile);
const suffix = randomBytes(4).toString('hex');
const OWNER = `spreiding_owner_${suffix}`;
const APP = `spreiding_app_${suffix}`;

let database: { url: string; drop: () => Promise<void> };
let ownerUrl: string;
let appUrl: string;

const as = (role: string) => {
  const u = new URL(database.url);
  u.username = role;
  return u.toString();
};

/** `npm run migrate` as a separate process, as an operator (or the Kubernetes Job) runs it. */
async function migrate(env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'scripts/migrate.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...testEnv({ LOG_LEVEL: 'info' }), ...env } as NodeJS.ProcessEnv,
  });
}

async function admin<T extends pg.QueryResultRow>(text: string) {
  return sqlRows<T>(PG_ADMIN_URL, text);
}

/** The statement's PostgreSQL error code, or null when it succeeded. */
async function sqlError(url: string, text: string): Promise<string | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(text);
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'unknown';
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  const name = new URL(database.url).pathname.slice(1);
  await admin(`create role ${OWNER} login nosuperuser nocreatedb nocreaterole`);
  await admin(`create role ${APP} login nosuperuser nocreatedb nocreaterole`);
  // As an operator sets it up: the owner owns the database (and so, from PostgreSQL 15, may
  // create in its public schema); nobody else may connect unless granted.
  await admin(`alter database ${name} owner to ${OWNER}`);
  await admin(`revoke all on database ${name} from public`);
  ownerUrl = as(OWNER);
  appUrl = as(APP);
});

afterAll(async () => {
  await database?.drop();
  // The database is gone, and with it every privilege of the roles: they can be dropped.
  await admin(`drop role if exists ${APP}`);
  await admin(`drop role if exists ${OWNER}`);
});

describe('migrations as the owner, the service as the application role', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('npm run migrate as the owner grants the application role, and the tables belong to the owner', async () => {
    const { stdout } = await migrate({ DATABASE_URL: ownerUrl, DATABASE_APP_ROLE: APP });
    expect(stdout).toContain('application role granted');
    const owners = await sqlRows<{ owner: string; n: number }>(ownerUrl, `select tableowner as owner, count(*)::int as n from pg_tables where schemaname = 'public' group by 1`);
    expect(owners).toEqual([{ owner: OWNER, n: expect.any(Number) }]);
  });

  it('the service runs as the application role: a family is registered, proposed, approved and read', async () => {
    t = await startTestApp({ databaseUrl: appUrl, relay: true, worker: true });
    const { id } = await register(t);
    await waitForStatus(t, id, 'proposed');
    const allocation = await activeAllocation(t, id);
    expect((await coordinatorPost(t, `/api/v1/allocations/${allocation.id}/approve`)).statusCode).toBe(200);
    const history = await t.app.inject({ url: `/api/v1/registrations/${id}/history`, headers: await t.auth('coordinator') });
    expect(history.statusCode).toBe(200);
    const audit = await t.app.inject({ url: `/api/v1/audit-events?registrationId=${id}`, headers: await t.auth('coordinator') });
    expect(audit.json().items.length).toBeGreaterThan(2);
    const [me] = await sqlRows<{ me: string; superuser: boolean }>(appUrl, `select current_user as me, rolsuper as superuser from pg_roles where rolname = current_user`);
    expect(me).toEqual({ me: APP, superuser: false });

    // Closing with a reason and erasing on request: the erasure nulls the reasons in the guarded
    // history, which the application role may do (UPDATE, checked by the trigger), not DELETE.
    const closed = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/outcome`, headers: await t.auth('coordinator'), payload: { type: 'withdrawn', reason: 'Gezin trekt de melding in.' } });
    expect(closed.statusCode, closed.body).toBe(200);
    const erased = await t.app.inject({ method: 'POST', url: `/api/v1/registrations/${id}/erasure`, headers: await t.auth('coordinator'), payload: { reason: 'data_subject_request' } });
    expect(erased.statusCode, erased.body).toBe(200);
    const [left] = await sqlRows<{ n: number }>(ownerUrl, `select count(*)::int as n from registration_events where registration_id = $1 and reason_ciphertext is not null`, [id]);
    expect(left!.n).toBe(0);
  });

  it('has exactly the table privileges of its kind: append-only, guarded evidence, ordinary', async () => {
    const privileges = async (table: string) =>
      (await sqlRows<{ p: string }>(ownerUrl, `select p from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','TRIGGER']) p where has_table_privilege($1, $2, p) order by 1`, [APP, table])).map((r) => r.p);
    for (const table of ['audit_events', 'ledger_movements', 'duplicate_attempts', 'period_settlements', 'municipality_profile_versions']) {
      expect(await privileges(table), table).toEqual(['INSERT', 'SELECT']);
    }
    for (const table of ['registration_events', 'shelter_stays']) expect(await privileges(table), table).toEqual(['INSERT', 'SELECT', 'UPDATE']);
    expect(await privileges('registrations')).toEqual(['DELETE', 'INSERT', 'SELECT', 'UPDATE']);
  });

  it.each([
    ['alter table audit_events disable trigger audit_events_no_update', '42501'],
    ['alter table audit_events disable trigger all', '42501'],
    ['alter table ledger_movements disable trigger ledger_movements_no_update', '42501'],
    ['truncate audit_events', '42501'],
    ['truncate ledger_movements', '42501'],
    ['truncate registrations cascade', '42501'],
    [`update audit_events set action = 'forged'`, '42501'],
    ['delete from audit_events', '42501'],
    ['update ledger_movements set units = 0', '42501'],
    ['delete from ledger_movements', '42501'],
    ['delete from municipality_profile_versions', '42501'],
    ['truncate municipality_profile_versions', '42501'],
    ['drop table audit_events', '42501'],
    ['create table shadow (id int)', '42501'],
    [`create function pwn() returns trigger language plpgsql as $$ begin return null; end $$`, '42501'],
    ['alter table registrations owner to current_user', '42501'],
    ['select * from drizzle.__drizzle_migrations', '42501'],
  ])('the application role is refused: %s', async (statement, code) => {
    expect(await sqlError(appUrl, statement)).toBe(code);
  });

  it('the owner is refused changes to the append-only tables by their triggers all the same', async () => {
    for (const s of [`update audit_events set action = 'forged'`, 'delete from ledger_movements', 'truncate audit_events']) {
      expect(await sqlError(ownerUrl, s), s).toBe('42501');
    }
  });

  it('a table a later migration adds gets the grants at the next migrate; a new append-only table only SELECT and INSERT', async () => {
    // What another module's migration does: a plain table, and an append-only one with a
    // trigger function named …_append_only (migrations/README.md).
    const c = new pg.Client({ connectionString: ownerUrl });
    await c.connect();
    await c.query(`create table later_things (id serial primary key, note text)`);
    await c.query(`create table later_log (id bigserial primary key, note text)`);
    await c.query(`create function later_log_append_only() returns trigger language plpgsql as $$ begin raise exception 'append-only' using errcode = 'insufficient_privilege'; end $$`);
    await c.query(`create trigger later_log_no_update before update or delete on later_log for each row execute function later_log_append_only()`);
    await c.end();
    expect(await sqlError(appUrl, `insert into later_things (note) values ('x')`)).toBe('42501');

    await migrate({ DATABASE_URL: ownerUrl, DATABASE_APP_ROLE: APP });
    expect(await sqlError(appUrl, `insert into later_things (note) values ('x')`)).toBeNull();
    expect(await sqlError(appUrl, `update later_things set note = 'y'`)).toBeNull();
    expect(await sqlError(appUrl, `delete from later_things`)).toBeNull();
    expect(await sqlError(appUrl, `insert into later_log (note) values ('x')`)).toBeNull();
    expect(await sqlError(appUrl, `update later_log set note = 'y'`)).toBe('42501');
    expect(await sqlError(appUrl, `delete from later_log`)).toBe('42501');
    expect(await sqlError(appUrl, `truncate later_log`)).toBe('42501');
  });

  it('migrate refuses to grant a superuser or the owner itself', async () => {
    const self = await migrate({ DATABASE_URL: ownerUrl, DATABASE_APP_ROLE: OWNER }).then(() => null, (e: { code: number; stdout: string }) => e);
    expect(self?.code).toBe(1);
    expect(self?.stdout).toMatch(/role running the migrations/);
    const superuser = await migrate({ DATABASE_URL: ownerUrl, DATABASE_APP_ROLE: 'postgres' }).then(() => null, (e: { code: number; stdout: string }) => e);
    expect(superuser?.code).toBe(1);
    expect(superuser?.stdout).toMatch(/superuser/);
  });
});
