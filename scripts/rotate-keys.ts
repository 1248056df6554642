// Re-encrypts personal data under the current PII_ENCRYPTION_KEY (DESIGN §8: keys rotate).
//
//   1. Generate a key (openssl rand -base64 32); deploy every api and worker process with it as
//      PII_ENCRYPTION_KEY and the old key in PII_ENCRYPTION_PREVIOUS_KEYS (both still decrypt).
//   2. npm run rotate-keys          (idempotent; restartable; safe while the service runs)
//   3. Remove the old key from PII_ENCRYPTION_PREVIOUS_KEYS and redeploy.
//
// Every column named *_ciphertext is rotated, found in the catalogue, so a new encrypted column
// cannot be forgotten. Each value is bound to its table, column and row id (the binding is what the
// service uses too), and values of the older unbound format (v1) are rewritten bound: after an
// upgrade that introduced the binding, run this once before the service reads personal data. Rows are re-encrypted in batches, one transaction per batch, each row locked
// (FOR UPDATE) so a concurrent update by the API is neither lost nor overwritten. At the end the
// script counts what is still under another key; anything left (an api process still encrypting
// with the old key) makes it exit 1.
//
// --hmac re-computes the keyed BSN hashes (household_members.bsn_hmac and the active claims) with
// the current PII_HMAC_KEY from the decrypted BSNs. Stop the api processes first: while some
// hash with the old key and some with the new, a duplicate registration would go unnoticed.
//
// Options: --batch-size N (default 500), --dry-run (count only), --hmac, --json (one JSON line).
import { sql } from 'drizzle-orm';
import { ConfigError, loadConfig } from '../src/config.js';
import { createDatabase, type Db } from '../src/db/client.js';
import { bound, CIPHERTEXT_VERSION, createPiiCrypto, type CipherBinding, type PiiCrypto } from '../src/modules/pii/pii-crypto.js';

const DEFAULT_BATCH = 500;

interface Options {
  batchSize: number;
  dryRun: boolean;
  hmac: boolean;
  json: boolean;
}

function parseArgs(argv: string[]): Options {
  const opts: Options = { batchSize: DEFAULT_BATCH, dryRun: false, hmac: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--dry-run') opts.dryRun = true;
    else if (a === '--hmac') opts.hmac = true;
    else if (a === '--json') opts.json = true;
    else if (a === '--batch-size') {
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new UsageError('--batch-size must be a whole number from 1 to 100000');
      opts.batchSize = n;
    } else throw new UsageError(`unknown argument ${a}`);
  }
  return opts;
}

class UsageError extends Error {}

interface Column {
  table: string;
  column: string;
  /** Type of the table's `id`, for the keyset cursor. */
  idType: string;
}

interface Counts {
  /** Values under another key before this run. */
  found: number;
  reencrypted: number;
  /** Values under another key after this run (0 when done). */
  remaining: number;
}

const rows = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

/** Every text column named *_ciphertext in the public schema of a table with an `id`. */
async function ciphertextColumns(db: Db): Promise<Column[]> {
  const found = rows<{ table_name: string; column_name: string; id_type: string | null }>(
    await db.execute(sql`
      select c.table_name, c.column_name,
        (select i.data_type from information_schema.columns i
          where i.table_schema = c.table_schema and i.table_name = c.table_name and i.column_name = 'id') as id_type
      from information_schema.columns c
      where c.table_schema = 'public' and right(c.column_name, 11) = '_ciphertext' and c.data_type = 'text'
      order by c.table_name, c.column_name`),
  );
  return found.map((r) => {
    if (!r.id_type) throw new Error(`${r.table_name} has a ciphertext column but no id column; the rotation cannot page through it`);
    return { table: r.table_name, column: r.column_name, idType: r.id_type };
  });
}

const prefixOf = (pii: PiiCrypto) => `${CIPHERTEXT_VERSION}.${pii.currentKeyId}.`;

async function countStale(db: Db, c: Column, prefix: string): Promise<number> {
  const [row] = rows<{ n: number }>(
    await db.execute(sql`select count(*)::int as n from ${sql.identifier(c.table)} where ${sql.identifier(c.column)} is not null and not starts_with(${sql.identifier(c.column)}, ${prefix})`),
  );
  return row?.n ?? 0;
}

async function rotateColumn(db: Db, pii: PiiCrypto, c: Column, batchSize: number): Promise<number> {
  const prefix = prefixOf(pii);
  const table = sql.identifier(c.table);
  const column = sql.identifier(c.column);
  let after: string | null = null;
  let done = 0;
  for (;;) {
    const cursor: string | null = after;
    const batch: { id: string; value: string }[] = await db.transaction(async (tx) => {
      const picked: { id: string; value: string }[] = rows<{ id: string; value: string }>(
        await tx.execute(sql`
          select id::text as id, ${column} as value from ${table}
          where ${column} is not null and not starts_with(${column}, ${prefix})
            ${cursor === null ? sql`` : sql`and id > ${cursor}::${sql.raw(c.idType === 'uuid' ? 'uuid' : 'bigint')}`}
          order by id
          limit ${batchSize}
          for update`),
      );
      for (const r of picked) {
        // Decrypts with whichever configured key wrote it; fails loudly on a key that is not configured.
        const at: CipherBinding = { table: c.table, column: c.column, rowId: r.id };
        const plain = r.value.startsWith(`${CIPHERTEXT_VERSION}.`) ? pii.decrypt(r.value, at) : pii.decryptUnbound(r.value);
        const fresh = pii.encrypt(plain, at);
        await tx.execute(sql`update ${table} set ${column} = ${fresh} where id = ${r.id}::${sql.raw(c.idType === 'uuid' ? 'uuid' : 'bigint')}`);
      }
      return picked;
    });
    done += batch.length;
    if (batch.length < batchSize) return done;
    after = batch[batch.length - 1]!.id;
  }
}

interface HmacCounts {
  members: number;
  rehashed: number;
  claimsMoved: number;
  /**
   * Members of pseudonymised cases: their BSN is gone, so their hash cannot be computed again and
   * is left under the old key. After the rotation a new registration of such a family is no longer
   * linked to the old case (SECURITY.md: retention).
   */
  erased: number;
}

/** New keyed hashes from the decrypted BSNs; a hash that is already right is left alone. */
async function rotateHmac(db: Db, pii: PiiCrypto, batchSize: number, dryRun: boolean): Promise<HmacCounts> {
  const counts: HmacCounts = { members: 0, rehashed: 0, claimsMoved: 0, erased: 0 };
  let after: string | null = null;
  for (;;) {
    const cursor: string | null = after;
    const batch: { id: string }[] = await db.transaction(async (tx) => {
      const picked: { id: string; bsn_ciphertext: string | null; bsn_hmac: string }[] = rows<{ id: string; bsn_ciphertext: string | null; bsn_hmac: string }>(
        await tx.execute(sql`
          select id::text as id, bsn_ciphertext, bsn_hmac from household_members
          ${cursor === null ? sql`` : sql`where id > ${cursor}::uuid`}
          order by id limit ${batchSize} for update`),
      );
      for (const m of picked) {
        if (m.bsn_ciphertext === null) {
          counts.erased++;
          continue;
        }
        const fresh = pii.hmacBsn(pii.decrypt(m.bsn_ciphertext, bound('household_members.bsn_ciphertext', m.id)));
        if (fresh === m.bsn_hmac) continue;
        counts.rehashed++;
        if (dryRun) continue;
        await tx.execute(sql`update household_members set bsn_hmac = ${fresh} where id = ${m.id}::uuid`);
        const moved = await tx.execute(sql`update active_bsn_claims set bsn_hmac = ${fresh} where bsn_hmac = ${m.bsn_hmac}`);
        counts.claimsMoved += (moved as { rowCount?: number; affectedRows?: number }).rowCount ?? (moved as { affectedRows?: number }).affectedRows ?? 0;
      }
      return picked;
    });
    counts.members += batch.length;
    if (batch.length < batchSize) return counts;
    after = batch[batch.length - 1]!.id;
  }
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`rotate-keys: ${err.message}\nusage: npm run rotate-keys -- [--batch-size N] [--dry-run] [--hmac] [--json]\n`);
      return 64; // EX_USAGE
    }
    throw err;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 78; // EX_CONFIG
    }
    throw err;
  }
  const pii = createPiiCrypto(config.pii);
  const database = await createDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: 2 });
  try {
    const db = database.db;
    const prefix = prefixOf(pii);
    const columns = await ciphertextColumns(db);
    const result: Record<string, Counts> = {};
    for (const c of columns) {
      const name = `${c.table}.${c.column}`;
      const found = await countStale(db, c, prefix);
      const reencrypted = opts.dryRun || found === 0 ? 0 : await rotateColumn(db, pii, c, opts.batchSize);
      result[name] = { found, reencrypted, remaining: await countStale(db, c, prefix) };
    }
    const hmac = opts.hmac ? await rotateHmac(db, pii, opts.batchSize, opts.dryRun) : undefined;
    const remaining = Object.values(result).reduce((s, c) => s + c.remaining, 0);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ keyId: pii.currentKeyId, dryRun: opts.dryRun, columns: result, ...(hmac ? { hmac } : {}), remaining })}\n`);
    } else {
      process.stdout.write(`Current key id ${pii.currentKeyId}${opts.dryRun ? ' (dry run: nothing written)' : ''}\n`);
      for (const [name, c] of Object.entries(result)) {
        process.stdout.write(`  ${name.padEnd(40)} ${String(c.found).padStart(7)} under an older key, ${String(c.reencrypted).padStart(7)} re-encrypted, ${String(c.remaining).padStart(7)} left\n`);
      }
      if (hmac) process.stdout.write(`  BSN hashes: ${hmac.members} members checked, ${hmac.rehashed} re-hashed, ${hmac.claimsMoved} active claims moved, ${hmac.erased} of pseudonymised cases left as they were\n`);
      process.stdout.write(
        remaining === 0
          ? 'Done: the previous keys are no longer needed for these columns; remove them from PII_ENCRYPTION_PREVIOUS_KEYS.\n'
          : opts.dryRun
            ? `${remaining} value(s) would be re-encrypted.\n`
            : `${remaining} value(s) are still under another key: is an api or worker process still running with the old PII_ENCRYPTION_KEY? Deploy the new key everywhere and run again.\n`,
      );
    }
    return remaining === 0 || opts.dryRun ? 0 : 1;
  } finally {
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // A ciphertext under a key that is not configured, or a database error: say which, then fail.
    process.stderr.write(`rotate-keys failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
