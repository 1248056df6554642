import { describe, expect, it } from 'vitest';
import { createCipheriv, randomBytes } from 'node:crypto';
import { bound, createPiiCrypto, isValidBsn } from './pii-crypto.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const hmacKey = randomBytes(32);

const at = bound('household_members.name_ciphertext', '0b6f1c1e-6a54-4c39-9f0e-2d0c3f4a5b6c');

describe('PII crypto', () => {
  it('round-trips, with a fresh nonce every time', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const a = c.encrypt('Anna de Vries', at);
    expect(a).not.toContain('Anna');
    expect(a.startsWith(`v2.${c.currentKeyId}.`)).toBe(true);
    expect(c.encrypt('Anna de Vries', at)).not.toBe(a);
    expect(c.decrypt(a, at)).toBe('Anna de Vries');
  });

  it('refuses a tampered ciphertext', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const parts = c.encrypt('x', at).split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => c.decrypt(parts.join('.'), at)).toThrow();
  });

  it('binds a ciphertext to its row and field: moved to another row, column or table it does not decrypt', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const value = c.encrypt('123456782', bound('household_members.bsn_ciphertext', 'row-a'));
    expect(c.decrypt(value, bound('household_members.bsn_ciphertext', 'row-a'))).toBe('123456782');
    expect(() => c.decrypt(value, bound('household_members.bsn_ciphertext', 'row-b'))).toThrow();
    expect(() => c.decrypt(value, bound('household_members.name_ciphertext', 'row-a'))).toThrow();
    expect(() => c.decrypt(value, { table: 'registrations', column: 'bsn_ciphertext', rowId: 'row-a' })).toThrow();
    // Length-prefixed parts: shifting text between table, column and id is not the same binding.
    expect(() => c.decrypt(value, { table: 'household_members.bsn', column: 'ciphertext', rowId: 'row-a' })).toThrow();
  });

  it('refuses a GCM tag shorter than 16 bytes, and a nonce of the wrong length', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const parts = c.encrypt('Anna', at).split('.');
    for (const bytes of [4, 8, 12, 15]) {
      const short = [...parts];
      short[4] = Buffer.from(parts[4]!, 'base64url').subarray(0, bytes).toString('base64url');
      expect(() => c.decrypt(short.join('.'), at), `${bytes}-byte tag`).toThrow(/wrong length/);
    }
    const nonce = [...parts];
    nonce[2] = Buffer.from(parts[2]!, 'base64url').subarray(0, 8).toString('base64url');
    expect(() => c.decrypt(nonce.join('.'), at)).toThrow(/wrong length/);
  });

  it('reads an unbound v1 value only through the rotation path, which rewrites it bound', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    // A v1 value as the service wrote it before binding: GCM without additional data.
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', k1, nonce);
    const ct = Buffer.concat([cipher.update('Anna', 'utf8'), cipher.final()]);
    const v1 = ['v1', c.currentKeyId, nonce.toString('base64url'), ct.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    expect(() => c.decrypt(v1, at)).toThrow(/rotate-keys/);
    expect(c.needsRotation(v1)).toBe(true);
    expect(c.decryptUnbound(v1)).toBe('Anna');
    expect(() => c.decryptUnbound(c.encrypt('Anna', at))).toThrow();
  });

  it('decrypts with a previous key after rotation and flags the value for re-encryption', () => {
    const before = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const old = before.encrypt('123456782', at);
    const after = createPiiCrypto({ encryptionKey: k2, previousEncryptionKeys: [k1], hmacKey });
    expect(after.decrypt(old, at)).toBe('123456782');
    expect(after.needsRotation(old)).toBe(true);
    expect(after.needsRotation(after.encrypt('z', at))).toBe(false);
    const without = createPiiCrypto({ encryptionKey: k2, previousEncryptionKeys: [], hmacKey });
    expect(() => without.decrypt(old, at)).toThrow(/no key/);
  });

  it('binds the key id too: a value relabelled with another configured key id does not decrypt', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [k1], hmacKey });
    const parts = c.encrypt('Anna', at).split('.');
    const other = createPiiCrypto({ encryptionKey: k2, previousEncryptionKeys: [k1], hmacKey });
    parts[1] = other.currentKeyId;
    expect(() => other.decrypt(parts.join('.'), at)).toThrow();
  });

  it('hashes a BSN deterministically under one key and differently under another', () => {
    const a = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const b = createPiiCrypto({ encryptionKey: k2, previousEncryptionKeys: [], hmacKey: randomBytes(32) });
    expect(a.hmacBsn('123456782')).toBe(a.hmacBsn('123456782'));
    expect(a.hmacBsn('123456782')).not.toBe(b.hmacBsn('123456782'));
    expect(a.hmacBsn('123456782')).not.toContain('123456782');
  });
});

describe('BSN 11-proef', () => {
  it.each(['111222333', '123456782', '999999990'])('accepts %s', (bsn) => expect(isValidBsn(bsn)).toBe(true));
  it.each(['123456789', '000000000', '12345678', '1234567820', '12345678a', ''])('refuses %s', (bsn) => expect(isValidBsn(bsn)).toBe(false));
});
