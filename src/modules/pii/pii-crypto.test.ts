import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createPiiCrypto, isValidBsn } from './pii-crypto.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const hmacKey = randomBytes(32);

describe('PII crypto', () => {
  it('round-trips, with a fresh nonce every time', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const a = c.encrypt('Anna de Vries');
    expect(a).not.toContain('Anna');
    expect(c.encrypt('Anna de Vries')).not.toBe(a);
    expect(c.decrypt(a)).toBe('Anna de Vries');
  });

  it('refuses a tampered ciphertext', () => {
    const c = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const parts = c.encrypt('x').split('.');
    parts[3] = Buffer.from('y').toString('base64url');
    expect(() => c.decrypt(parts.join('.'))).toThrow();
  });

  it('decrypts with a previous key after rotation and flags the value for re-encryption', () => {
    const before = createPiiCrypto({ encryptionKey: k1, previousEncryptionKeys: [], hmacKey });
    const old = before.encrypt('123456782');
    const after = createPiiCrypto({ encryptionKey: k2, previousEncryptionKeys: [k1], hmacKey });
    expect(after.decrypt(old)).toBe('123456782');
    expect(after.needsRotation(old)).toBe(true);
    expect(after.needsRotation(after.encrypt('z'))).toBe(false);
    const without = createPiiCrypto({ encryptionKey: k2, previousEncryptionKeys: [], hmacKey });
    expect(() => without.decrypt(old)).toThrow(/no key/);
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
