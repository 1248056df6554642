import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, embeddedSecretsFile, loadConfig, weakSecretReason } from '../../src/config.js';

const KEY_A = 'Pa7YQVF/W8igNVAs3fdFEnH37ZLUwrSXtWmoEldyzUE=';
const KEY_B = '0gmfOZyBVQcX3vU+YeghK2euVpwoa7YTeJc/uIbm+/4=';
const SECRET = 'Zx3q9LbWm2Tt7Hv0Kc5Rn8Yp1Gd4Fs6Je';

/** A complete production-style environment; each test breaks one variable. */
const production = (overrides: Record<string, string | undefined> = {}) => ({
  DATABASE_URL: 'postgres://spreiding@db.example:5432/spreiding',
  AUTH_JWT_SECRET: SECRET,
  PII_ENCRYPTION_KEY: KEY_A,
  PII_HMAC_KEY: KEY_B,
  ...overrides,
});

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig accepted the environment');
}

const tempDirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'spreiding-config-'));
  tempDirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('accepts a complete environment and returns a frozen config', () => {
    const config = loadConfig(production({ PORT: '8080', HOST: '0.0.0.0', REDIS_URL: 'redis://cache:6379', LOG_LEVEL: 'warn' }));
    expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', embedded: false, redisUrl: 'redis://cache:6379', logLevel: 'warn' });
    expect(config.pii.encryptionKey.equals(Buffer.from(KEY_A, 'base64'))).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('uses the documented defaults', () => {
    const config = loadConfig(production());
    expect(config).toMatchObject({ port: 3000, host: '127.0.0.1', logLevel: 'info', redisUrl: undefined });
    expect(config).toMatchObject({
      deadlines: { reviewWorkingDays: 2, decisionWorkingDays: 5, transferWeeks: 10, escalationWorkingDays: 2, scanEveryMs: 60_000 },
      webhooks: { timeoutMs: 5_000, maxAttempts: 8, retryBaseMs: 30_000, concurrency: 8, allowPrivateTargets: false, publicBaseUrl: 'http://127.0.0.1:3000' },
      workerQueues: 'all',
      centralShelter: false,
    });
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['PORT', { PORT: '-1' }],
    ['DATABASE_URL', { DATABASE_URL: 'not a url' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db.example/spreiding' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: undefined }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'too-short' }],
    ['PII_ENCRYPTION_KEY', { PII_ENCRYPTION_KEY: undefined }],
    ['PII_HMAC_KEY', { PII_HMAC_KEY: undefined }],
    ['PII_ENCRYPTION_KEY', { PII_ENCRYPTION_KEY: 'not*base64*at*all!' }],
    ['PII_ENCRYPTION_KEY', { PII_ENCRYPTION_KEY: Buffer.alloc(16, 1).toString('base64') }],
    ['PII_HMAC_KEY', { PII_HMAC_KEY: Buffer.alloc(33, 1).toString('base64') }],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }],
    ['AUTH_JWKS_URL', { AUTH_JWKS_URL: 'ftp://idp.example/keys' }],
    ['AUTH_JWT_ISSUER', { AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_JWT_AUDIENCE: 'spreiding' }],
    ['AUTH_JWT_AUDIENCE', { AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'https://idp.example/jwks', AUTH_JWT_ISSUER: 'https://idp.example' }],
    // The one-click coordinator sign-in exists for embedded mode only.
    ['UI_LOCAL_SIGN_IN', { UI_LOCAL_SIGN_IN: 'true' }],
    ['UI_LOCAL_SIGN_IN', { UI_LOCAL_SIGN_IN: 'yes' }],
    // Issue 13: deadlines, notifications, worker queues.
    ['DEADLINE_REVIEW_WORKING_DAYS', { DEADLINE_REVIEW_WORKING_DAYS: '0' }],
    ['EVENT_SOURCE', { EVENT_SOURCE: 'https://spreiding.example' }],
    ['PUBLIC_BASE_URL', { PUBLIC_BASE_URL: 'ftp://spreiding.example' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: '600000' }],
    ['WORKER_QUEUES', { WORKER_QUEUES: 'mail' }],
    // Private webhook targets would open the internal network: never in a production image.
    ['WEBHOOK_ALLOW_PRIVATE_TARGETS', { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', NODE_ENV: 'production' }],
    // Weak secrets and keys (hostile review, finding 15): long enough, but not random.
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'a'.repeat(64) }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'test-secret-test-secret-test-secret-0123456789' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: '0123456789012345678901234567890123456789' }],
    ['AUTH_JWT_SECRET', { AUTH_JWT_SECRET: 'abababababababababababababababababababab' }],
    ['PII_ENCRYPTION_KEY', { PII_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') }],
    ['PII_HMAC_KEY', { PII_HMAC_KEY: Buffer.from('0123456789abcdef0123456789abcdef').toString('base64') }],
    ['PII_ENCRYPTION_PREVIOUS_KEYS', { PII_ENCRYPTION_PREVIOUS_KEYS: `${KEY_B},${Buffer.alloc(32, 0).toString('base64')}` }],
    // TRUST_PROXY (finding 11): a hop count or our proxies' addresses, never every hop.
    ['TRUST_PROXY', { TRUST_PROXY: 'true' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
    ['TRUST_PROXY', { TRUST_PROXY: '11' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/33' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.1, proxy.example' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/8/1' }],
    ['HTTP_HEADERS_TIMEOUT_MS', { HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '2000' }],
    ['RETENTION_AFTER_CLOSE_DAYS', { RETENTION_AFTER_CLOSE_DAYS: '0' }],
    ['DOCUMENT_MAX_BYTES', { DOCUMENT_MAX_BYTES: '999999999' }],
  ] as Array<[string, Record<string, string | undefined>]>)('refuses a bad %s: %j', (variable, overrides) => {
    const err = configError(production(overrides));
    expect(err.variable).toBe(variable);
    expect(err.message).toContain(variable);
  });

  it('takes TRUST_PROXY as a hop count or a list of proxy addresses and CIDRs', () => {
    expect(loadConfig(production()).http.trustProxy).toBe(false);
    expect(loadConfig(production({ TRUST_PROXY: 'false' })).http.trustProxy).toBe(false);
    expect(loadConfig(production({ TRUST_PROXY: '2' })).http.trustProxy).toBe(2);
    expect(loadConfig(production({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1, fd00::/8' })).http.trustProxy).toEqual(['10.0.0.1', '192.168.0.0/16', '::1', 'fd00::/8']);
  });

  it('has the documented privacy and HTTP defaults', () => {
    const config = loadConfig(production());
    expect(config.privacy).toEqual({ retentionAfterCloseDays: 730, municipalityAccessAfterCloseDays: 90, documentMaxBytes: 4 * 1024 * 1024 });
    expect(config.http).toMatchObject({ requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, keepAliveTimeoutMs: 5_000, maxHeaderBytes: 16_384, rateLimitRedisTimeoutMs: 100 });
  });

  it('accepts secrets as openssl makes them (base64 and hex) and refuses what is not random', () => {
    for (let i = 0; i < 200; i++) {
      expect(weakSecretReason(randomBytes(32).toString('base64'))).toBeUndefined();
      expect(weakSecretReason(randomBytes(32).toString('hex'))).toBeUndefined();
      expect(() => loadConfig(production({ PII_ENCRYPTION_KEY: randomBytes(32).toString('base64') }))).not.toThrow();
    }
    expect(weakSecretReason('short')).toMatch(/at least 32 bytes/);
    expect(weakSecretReason('Password123!Password123!Password123!')).toBeDefined();
    expect(weakSecretReason('Zx3q9LbWm2Tt7Hv0Kc5Rn8Yp1Gd4Fs6Je-Zx3q9L')).toMatch(/repeats/);
  });

  it('does not need AUTH_JWT_SECRET when tokens are verified with AUTH_JWKS_URL', () => {
    const config = loadConfig(
      production({ AUTH_JWT_SECRET: undefined, AUTH_JWKS_URL: 'https://idp.example/.well-known/jwks.json', AUTH_JWT_ISSUER: 'https://idp.example', AUTH_JWT_AUDIENCE: 'spreiding' }),
    );
    expect(config.auth).toMatchObject({ jwtSecret: undefined, jwksUrl: 'https://idp.example/.well-known/jwks.json' });
  });

  it('never prints a secret in its message', () => {
    const err = configError(production({ PII_HMAC_KEY: 'c2VjcmV0LXZhbHVl' }));
    expect(err.message).not.toContain('c2VjcmV0LXZhbHVl');
  });
});

describe('embedded mode (no DATABASE_URL)', () => {
  it('generates its secrets once into DATA_DIR (mode 0600) and reuses them', () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.embedded).toBe(true);
    expect(first.databaseUrl).toBeUndefined();
    expect(first.dataDir).toBe(dataDir);

    const file = embeddedSecretsFile(dataDir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const written = readFileSync(file, 'utf8');
    const secrets = JSON.parse(written) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual(['AUTH_JWT_SECRET', 'PII_ENCRYPTION_KEY', 'PII_HMAC_KEY']);
    expect(first.auth.jwtSecret).toBe(secrets.AUTH_JWT_SECRET);
    expect(first.pii.encryptionKey).toHaveLength(32);

    const second = loadConfig({ DATA_DIR: dataDir });
    expect(readFileSync(file, 'utf8')).toBe(written);
    expect(second.auth.jwtSecret).toBe(first.auth.jwtSecret);
    expect(second.pii.encryptionKey.equals(first.pii.encryptionKey)).toBe(true);
    expect(second.pii.hmacKey.equals(first.pii.hmacKey)).toBe(true);
  });

  it('keeps DATA_DIR private (0700), also a directory that existed with wider rights', () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o755);
    writeFileSync(embeddedSecretsFile(dataDir), JSON.stringify({ AUTH_JWT_SECRET: SECRET, PII_ENCRYPTION_KEY: KEY_A, PII_HMAC_KEY: KEY_B }), { mode: 0o644 });
    loadConfig({ DATA_DIR: dataDir });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(embeddedSecretsFile(dataDir)).mode & 0o777).toBe(0o600);
    const fresh = join(tempDir(), 'new');
    loadConfig({ DATA_DIR: fresh });
    expect(statSync(fresh).mode & 0o777).toBe(0o700);
  });

  it('generates different secrets for different data directories', () => {
    const a = loadConfig({ DATA_DIR: tempDir() });
    const b = loadConfig({ DATA_DIR: tempDir() });
    expect(a.auth.jwtSecret).not.toBe(b.auth.jwtSecret);
    expect(a.pii.encryptionKey.equals(b.pii.encryptionKey)).toBe(false);
  });

  it('has the local sign-in off unless UI_LOCAL_SIGN_IN=true', () => {
    const dataDir = tempDir();
    expect(loadConfig({ DATA_DIR: dataDir }).uiLocalSignIn).toBe(false);
    expect(loadConfig({ DATA_DIR: dataDir, UI_LOCAL_SIGN_IN: 'true' }).uiLocalSignIn).toBe(true);
  });

  it('prefers keys given in the environment over the generated ones', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), PII_ENCRYPTION_KEY: KEY_A, AUTH_JWT_SECRET: SECRET });
    expect(config.pii.encryptionKey.equals(Buffer.from(KEY_A, 'base64'))).toBe(true);
    expect(config.auth.jwtSecret).toBe(SECRET);
  });
});
