// Least privilege in PostgreSQL: the migrations run as the owner of the tables; the api and the
// worker log in as a role that owns nothing, so they cannot switch the append-only triggers off
// (ALTER TABLE … DISABLE TRIGGER needs the owner), truncate, drop or create anything.
import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

/**
 * Tables the application may not freely change, found by their row-level triggers
 * (migrations/README.md):
 * - append-only: a trigger function named `append_only` or `…_append_only`: rows are never changed
 *   or removed, so the application role may only read and append;
 * - guarded evidence: a trigger function named `append_only_but_erasable` or `…_guard`: rows are
 *   never removed, and the trigger decides which updates pass (erasing personal values after
 *   retention, re-encryption), so the role keeps UPDATE but not DELETE.
 * The triggers still stop the owner's mistakes.
 */
async function protectedTables(db: Db): Promise<{ appendOnly: string[]; guarded: string[] }> {
  const result = await db.execute(sql`
    select c.relname as name,
      bool_or(p.proname = 'append_only' or p.proname like '%\\_append\\_only') as append_only,
      bool_or(p.proname = 'append_only_but_erasable' or p.proname like '%\\_guard') as guarded
    from pg_trigger t
      join pg_class c on c.oid = t.tgrelid
      join pg_namespace n on n.oid = c.relnamespace
      join pg_proc p on p.oid = t.tgfoid
    where n.nspname = 'public' and not t.tgisinternal and (t.tgtype & 1) = 1
    group by c.relname
    order by 1`);
  const rows = (result as unknown as { rows: Array<{ name: string; append_only: boolean; guarded: boolean }> }).rows;
  return {
    appendOnly: rows.filter((r) => r.append_only && !r.guarded).map((r) => r.name),
    guarded: rows.filter((r) => r.guarded).map((r) => r.name),
  };
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export class GrantError extends Error {}

/**
 * Gives `role` exactly what the api and worker need on the current database, and takes away
 * anything else it had on the tables: CONNECT, USAGE on the schema (not CREATE), SELECT, INSERT,
 * UPDATE and DELETE on every table but only SELECT and INSERT on the append-only ones, USAGE and
 * SELECT on the sequences. Idempotent; `npm run migrate` runs it after every migration, so a
 * table a later migration adds gets its grants in the same step. Refuses a role that is a
 * superuser, is the role running this, or owns a table: such a role could disable the triggers.
 */
export async function grantApplicationRole(db: Db, role: string): Promise<{ tables: number; appendOnly: string[]; guarded: string[] }> {
  return db.transaction(async (tx) => {
    const checks = await tx.execute(sql`
      select r.rolsuper as superuser, r.rolname = current_user as is_self,
        (select count(*)::int from pg_tables where tableowner = r.rolname) as owned,
        current_database() as database
      from pg_roles r where r.rolname = ${role}`);
    const row = (checks as unknown as { rows: Array<{ superuser: boolean; is_self: boolean; owned: number; database: string }> }).rows[0];
    if (!row) throw new GrantError(`role ${role} does not exist: create it first (CREATE ROLE ${role} LOGIN PASSWORD '…')`);
    if (row.superuser) throw new GrantError(`role ${role} is a superuser: the application must run as a role without special rights`);
    if (row.is_self) throw new GrantError(`role ${role} is the role running the migrations: the application needs a role of its own`);
    if (row.owned > 0) throw new GrantError(`role ${role} owns ${row.owned} table(s): the application must own nothing`);

    const r = quoteIdent(role);
    const { appendOnly, guarded } = await protectedTables(tx as unknown as Db);
    const statements = [
      `grant connect on database ${quoteIdent(row.database)} to ${r}`,
      `grant usage on schema public to ${r}`,
      `revoke create on schema public from ${r}`,
      `revoke all on all tables in schema public from ${r}`,
      `grant select, insert, update, delete on all tables in schema public to ${r}`,
      ...appendOnly.map((t) => `revoke update, delete on ${quoteIdent(t)} from ${r}`),
      ...guarded.map((t) => `revoke delete on ${quoteIdent(t)} from ${r}`),
      `revoke all on all sequences in schema public from ${r}`,
      `grant usage, select on all sequences in schema public to ${r}`,
    ];
    for (const s of statements) await tx.execute(sql.raw(s));
    const count = await tx.execute(sql`select count(*)::int as n from pg_tables where schemaname = 'public'`);
    return { tables: (count as unknown as { rows: Array<{ n: number }> }).rows[0]!.n, appendOnly, guarded };
  });
}

/**
 * What the running process may do that the application should not: a superuser or the owner
 * of the tables can switch the append-only triggers off. For a warning at start-up.
 */
export async function privilegeWarnings(db: Db): Promise<string[]> {
  const result = await db.execute(sql`
    select r.rolsuper as superuser, (select count(*)::int from pg_tables where schemaname = 'public' and tableowner = current_user) as owned
    from pg_roles r where r.rolname = current_user`);
  const row = (result as unknown as { rows: Array<{ superuser: boolean; owned: number }> }).rows[0];
  const out: string[] = [];
  if (row?.superuser) out.push('connected to PostgreSQL as a superuser');
  if (row && row.owned > 0) out.push(`connected to PostgreSQL as the owner of ${row.owned} table(s)`);
  return out;
}
