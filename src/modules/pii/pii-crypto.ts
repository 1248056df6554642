import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';

/**
 * Personal data at rest (DESIGN §8): AES-256-GCM with a random 96-bit nonce per value, and a
 * key id in every ciphertext so keys can rotate (old keys decrypt, the current key encrypts).
 * Format: `v1.<keyId>.<nonce>.<ciphertext>.<tag>`, base64url parts.
 */
export interface PiiCrypto {
  readonly currentKeyId: string;
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
  /** True when the value was written with an older key (the rotation command re-encrypts it). */
  needsRotation(ciphertext: string): boolean;
  /** Keyed hash for matching a BSN across municipalities without storing it readable. */
  hmacBsn(bsn: string): string;
  /** Keyed hash of other data that holds personal data (e.g. a request body for idempotency). */
  keyedHash(domain: string, value: string): string;
}

/** A key's id: not secret, stable, and different for every key. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('spreiding-key-id').update(key).digest('base64url').slice(0, 8);
}

export function createPiiCrypto(opts: { encryptionKey: Buffer; previousEncryptionKeys: readonly Buffer[]; hmacKey: Buffer }): PiiCrypto {
  const keys = new Map<string, Buffer>();
  for (const k of [opts.encryptionKey, ...opts.previousEncryptionKeys]) keys.set(keyId(k), k);
  const currentKeyId = keyId(opts.encryptionKey);
  return {
    currentKeyId,
    encrypt(plaintext) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', opts.encryptionKey, nonce);
      const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return ['v1', currentKeyId, nonce.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    decrypt(value) {
      const [version, kid, nonce, ct, tag] = value.split('.');
      if (version !== 'v1' || !kid || nonce === undefined || ct === undefined || tag === undefined) throw new Error('not a ciphertext');
      const key = keys.get(kid);
      if (!key) throw new Error(`no key with id ${kid} is configured (PII_ENCRYPTION_PREVIOUS_KEYS?)`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
    needsRotation(value) {
      return value.split('.')[1] !== currentKeyId;
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
