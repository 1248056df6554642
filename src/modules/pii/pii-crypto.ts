import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import { pooledRandomBytes } from '../../lib/random-pool.js';

/**
 * Where a ciphertext belongs: the table and column it is stored in and the id of its row. It is
 * authenticated with the value (GCM additional data), so a ciphertext copied into another row or
 * field (a swap by someone with write access to the database) does not decrypt there.
 */
export interface CipherBinding {
  readonly table: string;
  readonly column: string;
  readonly rowId: string;
}

/**
 * Personal data at rest (DESIGN §8): AES-256-GCM with a random 96-bit nonce per value, a full
 * 128-bit tag, and a key id in every ciphertext so keys can rotate (old keys decrypt, the current
 * key encrypts). Format: `v2.<keyId>.<nonce>.<ciphertext>.<tag>`, base64url parts; the additional
 * data is the binding and the key id. `v1` values (before binding) are read only by the rotation
 * command, which rewrites them as `v2`.
 */
export interface PiiCrypto {
  readonly currentKeyId: string;
  encrypt(plaintext: string, at: CipherBinding): string;
  decrypt(ciphertext: string, at: CipherBinding): string;
  /** True when the value was written with an older key or format (the rotation command re-encrypts it). */
  needsRotation(ciphertext: string): boolean;
  /** For the rotation command only: a value of the unbound v1 format, which carries no binding. */
  decryptUnbound(ciphertext: string): string;
  /** Keyed hash for matching a BSN across municipalities without storing it readable. */
  hmacBsn(bsn: string): string;
  /** Keyed hash of other data that holds personal data (e.g. a request body for idempotency). */
  keyedHash(domain: string, value: string): string;
}

export const CIPHERTEXT_VERSION = 'v2';
const LEGACY_VERSION = 'v1';
const NONCE_BYTES = 12;
/** GCM accepts truncated tags unless told otherwise; a shorter tag is easier to forge. */
const TAG_BYTES = 16;

/** A key's id: not secret, stable, and different for every key. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('spreiding-key-id').update(key).digest('base64url').slice(0, 8);
}

/** Unambiguous: each part is length-prefixed, so no two bindings give the same bytes. */
function additionalData(at: CipherBinding, kid: string): Buffer {
  const parts = ['spreiding-pii', CIPHERTEXT_VERSION, at.table, at.column, at.rowId, kid];
  return Buffer.concat(parts.map((p) => {
    const b = Buffer.from(p, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  }));
}

export function createPiiCrypto(opts: { encryptionKey: Buffer; previousEncryptionKeys: readonly Buffer[]; hmacKey: Buffer }): PiiCrypto {
  const keys = new Map<string, Buffer>();
  for (const k of [opts.encryptionKey, ...opts.previousEncryptionKeys]) keys.set(keyId(k), k);
  const currentKeyId = keyId(opts.encryptionKey);

  function open(value: string, version: string, at: CipherBinding | null): string {
    const parts = value.split('.');
    const [v, kid, nonce, ct, tag] = parts;
    if (parts.length !== 5 || v !== version || !kid || nonce === undefined || ct === undefined || tag === undefined) {
      throw new Error(v === LEGACY_VERSION && version === CIPHERTEXT_VERSION ? 'an unbound v1 ciphertext: run npm run rotate-keys' : 'not a ciphertext');
    }
    const key = keys.get(kid);
    if (!key) throw new Error(`no key with id ${kid} is configured (PII_ENCRYPTION_PREVIOUS_KEYS?)`);
    const nonceBytes = Buffer.from(nonce, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (nonceBytes.length !== NONCE_BYTES || tagBytes.length !== TAG_BYTES) throw new Error('not a ciphertext: nonce or tag of the wrong length');
    const decipher = createDecipheriv('aes-256-gcm', key, nonceBytes, { authTagLength: TAG_BYTES });
    if (at) decipher.setAAD(additionalData(at, kid));
    decipher.setAuthTag(tagBytes);
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  return {
    currentKeyId,
    encrypt(plaintext, at) {
      const nonce = pooledRandomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', opts.encryptionKey, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(additionalData(at, currentKeyId));
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [CIPHERTEXT_VERSION, currentKeyId, nonce.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    decrypt(value, at) {
      return open(value, CIPHERTEXT_VERSION, at);
    },
    decryptUnbound(value) {
      return open(value, LEGACY_VERSION, null);
    },
    needsRotation(value) {
      return !value.startsWith(`${CIPHERTEXT_VERSION}.${currentKeyId}.`);
    },
    hmacBsn(bsn) {
      return createHmac('sha256', opts.hmacKey).update(`bsn:${bsn}`).digest('base64url');
    },
    keyedHash(domain, value) {
      return createHmac('sha256', opts.hmacKey).update(`${domain}:`).update(value).digest('base64url');
    },
  };
}

/** The 11-proef for a BSN: 9 digits, weights 9..2 and −1, sum divisible by 11, not all zeros. */
export function isValidBsn(bsn: string): boolean {
  if (!/^[0-9]{9}$/.test(bsn) || bsn === '000000000') return false;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(bsn[i]) * (9 - i);
  sum -= Number(bsn[8]);
  return sum % 11 === 0;
}

/** Every encrypted field, as `table.column` (the rotation command finds them by the `_ciphertext` suffix). */
export type CipherField =
  | 'registrations.notes_ciphertext'
  | 'household_members.bsn_ciphertext'
  | 'household_members.name_ciphertext'
  | 'allocations.reason_ciphertext'
  | 'registration_events.reason_ciphertext'
  | 'shelter_stays.location_ciphertext'
  | 'webhook_subscriptions.secret_ciphertext'
  | 'registration_documents.title_ciphertext'
  | 'registration_documents.content_ciphertext';

/** The binding of a value in `field` of the row with this id. */
export function bound(field: CipherField, rowId: string | number): CipherBinding {
  const dot = field.indexOf('.');
  return { table: field.slice(0, dot), column: field.slice(dot + 1), rowId: String(rowId) };
}
