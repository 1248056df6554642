// The only reader of process.env. Everything else receives a validated, frozen Config.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type AllocationUnit = 'households' | 'persons';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Absent: embedded PGlite under dataDir. */
  readonly databaseUrl: string | undefined;
  readonly databasePoolMax: number;
  /**
   * The role the api and worker log in as (`npm run migrate` only): after the migrations, the
   * migrate step grants it what the application needs and nothing more (src/db/grants.ts).
   */
  readonly databaseAppRole: string | undefined;
  /** Absent: jobs run in-process. */
  readonly redisUrl: string | undefined;
  /** Prefix of every BullMQ key, so several deployments (or test files) can share one Redis. */
  readonly queuePrefix: string;
  /**
   * How long a worker's lock on a running job lasts (renewed at half of it while the job runs),
   * and how often workers look for jobs whose lock expired: a job of a killed worker runs again
   * within about their sum.
   */
  readonly queueLockDurationMs: number;
  readonly queueStalledIntervalMs: number;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly embedded: boolean;
  /**
   * The review desk's one-click coordinator sign-in for the person at this computer: embedded mode
   * only, and only when asked for (UI_LOCAL_SIGN_IN=true).
   */
  readonly uiLocalSignIn: boolean;
  readonly auth: {
    readonly jwtSecret: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
  };
  readonly pii: {
    /** AES-256-GCM key used for new ciphertext. */
    readonly encryptionKey: Buffer;
    /** Older keys, still accepted for decryption until `rotate-keys` has re-encrypted everything. */
    readonly previousEncryptionKeys: readonly Buffer[];
    readonly hmacKey: Buffer;
  };
  readonly allocation: {
    readonly unit: AllocationUnit;
    /** The reporting municipality is excluded as receiver unless this is false. */
    readonly excludeReportingMunicipality: boolean;
    /** Balance difference, in units, within which a network municipality is preferred. */
    readonly networkTolerance: number;
  };
  readonly periods: {
    /** Share of a balance carried into the next period at close ("1" keeps it whole). */
    readonly carryFactor: string;
    /** Largest absolute balance carried into the next period; undefined = no cap. */
    readonly carryCap: number | undefined;
  };
  readonly shelter: {
    readonly longStayDays: number;
  };
  readonly http: {
    readonly bodyLimitBytes: number;
    readonly rateLimitPerMinute: number;
    /** Behind a reverse proxy: take the client address from X-Forwarded-For (rate limits per client). */
    readonly trustProxy: boolean;
  };
  /** How often the outbox relay looks for unsent rows when nothing nudged it. */
  readonly outboxPollMs: number;
  /** How long a graceful shutdown may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** Prometheus metrics on a port of their own (never the API's); off without METRICS_PORT. */
  readonly metrics: {
    readonly port: number | undefined;
    readonly host: string;
    /** When set, /metrics answers only `Authorization: Bearer <token>`. */
    readonly token: string | undefined;
  };
  /** OpenTelemetry traces over OTLP/HTTP; off without OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly tracing: {
    /** Where spans are sent (the endpoint + /v1/traces, or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is). */
    readonly tracesUrl: string | undefined;
    readonly headers: Readonly<Record<string, string>>;
    readonly serviceName: string;
  };
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`Invalid configuration: ${variable} ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function str(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = str(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be a URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return raw;
}

function key32(name: string, raw: string): Buffer {
  const buf = Buffer.from(raw, 'base64');
  if (buf.length !== 32 || buf.toString('base64').replace(/=+$/, '') !== raw.replace(/=+$/, '')) {
    throw new ConfigError(name, 'must be the base64 encoding of exactly 32 random bytes');
  }
  return buf;
}

/** OTEL_EXPORTER_OTLP_HEADERS: `key=value` pairs, comma-separated, values percent-encoded (OTel spec). */
function otlpHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError('OTEL_EXPORTER_OTLP_HEADERS', 'must be key=value pairs separated by commas');
    try {
      out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new ConfigError('OTEL_EXPORTER_OTLP_HEADERS', 'has a value that is not valid percent-encoding');
    }
  }
  return out;
}

interface EmbeddedSecrets {
  AUTH_JWT_SECRET: string;
  PII_ENCRYPTION_KEY: string;
  PII_HMAC_KEY: string;
}

/**
 * Embedded mode generates its secrets once and keeps them beside the data they protect, so a
 * restart can still decrypt what it stored. They never enter the repository (data/ is ignored).
 */
function embeddedSecrets(dataDir: string): EmbeddedSecrets {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedSecrets;
    } catch {
      throw new ConfigError('DATA_DIR', `holds an unreadable ${file}; restore it from a backup (the data cannot be decrypted without it)`);
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const secrets: EmbeddedSecrets = {
    AUTH_JWT_SECRET: randomBytes(32).toString('base64'),
    PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PII_HMAC_KEY: randomBytes(32).toString('base64'),
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

export function embeddedSecretsFile(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

export function loadConfig(env: Env = process.env): Config {
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url(env, 'REDIS_URL', ['redis:', 'rediss:']);
  const dataDir = resolve(str(env, 'DATA_DIR') ?? './data');
  const embedded = databaseUrl === undefined;

  const logLevel = (str(env, 'LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }

  const generated = embedded ? embeddedSecrets(dataDir) : undefined;
  const jwksUrl = url(env, 'AUTH_JWKS_URL', ['http:', 'https:']);
  let jwtSecret = str(env, 'AUTH_JWT_SECRET');
  if (jwtSecret === undefined && jwksUrl === undefined) {
    if (!generated) {
      throw new ConfigError('AUTH_JWT_SECRET', 'is required (or AUTH_JWKS_URL) when DATABASE_URL is set');
    }
    jwtSecret = generated.AUTH_JWT_SECRET;
  }
  // With a shared identity provider, a token it issued for another API could carry a role claim
  // too: only tokens for this API (audience) from this provider (issuer) are accepted.
  if (jwksUrl !== undefined) {
    for (const name of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE']) {
      if (str(env, name) === undefined) throw new ConfigError(name, 'is required when AUTH_JWKS_URL is set');
    }
  }
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('AUTH_JWT_SECRET', 'must be at least 32 bytes long');
  }

  const piiKey = (name: 'PII_ENCRYPTION_KEY' | 'PII_HMAC_KEY'): Buffer => {
    const raw = str(env, name) ?? generated?.[name];
    if (raw === undefined) throw new ConfigError(name, 'is required when DATABASE_URL is set');
    return key32(name, raw);
  };
  const previous = (str(env, 'PII_ENCRYPTION_PREVIOUS_KEYS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => key32('PII_ENCRYPTION_PREVIOUS_KEYS', s));

  const carryFactor = str(env, 'PERIOD_CARRY_FACTOR') ?? '1';
  if (!/^(0(\.\d{1,6})?|1(\.0{1,6})?)$/.test(carryFactor)) {
    throw new ConfigError('PERIOD_CARRY_FACTOR', `must be a decimal between 0 and 1, got "${carryFactor}"`);
  }
  const carryCapRaw = str(env, 'PERIOD_CARRY_CAP');

  const uiLocalSignIn = bool(env, 'UI_LOCAL_SIGN_IN', false);
  if (uiLocalSignIn && !embedded) {
    throw new ConfigError('UI_LOCAL_SIGN_IN', 'is only allowed in embedded mode (without DATABASE_URL); sign in through your identity provider instead');
  }
  if (uiLocalSignIn && jwtSecret === undefined) {
    throw new ConfigError('UI_LOCAL_SIGN_IN', 'needs the HS256 secret (AUTH_JWT_SECRET or the generated one), not AUTH_JWKS_URL');
  }

  const unit = (str(env, 'ALLOCATION_UNIT') ?? 'households') as AllocationUnit;
  if (unit !== 'households' && unit !== 'persons') {
    throw new ConfigError('ALLOCATION_UNIT', `must be households or persons, got "${unit}"`);
  }

  const appRole = str(env, 'DATABASE_APP_ROLE');
  if (appRole !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(appRole)) {
    throw new ConfigError('DATABASE_APP_ROLE', `must be a PostgreSQL role name of lower-case letters, digits and _, got "${appRole}"`);
  }
  const metricsPortRaw = str(env, 'METRICS_PORT');
  const metricsToken = str(env, 'METRICS_TOKEN');
  if (metricsToken !== undefined && Buffer.byteLength(metricsToken) < 16) {
    throw new ConfigError('METRICS_TOKEN', 'must be at least 16 bytes long');
  }
  const port = int(env, 'PORT', 3000, 0, 65535);
  const metricsPort = metricsPortRaw === undefined ? undefined : int(env, 'METRICS_PORT', 0, 0, 65535);
  if (metricsPort !== undefined && metricsPort !== 0 && metricsPort === port) {
    throw new ConfigError('METRICS_PORT', 'must differ from PORT: metrics are never served on the public API port');
  }
  const otlpEndpoint = url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:']);
  const otlpTracesEndpoint = url(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', ['http:', 'https:']);

  const config: Config = {
    port,
    host: str(env, 'HOST') ?? '127.0.0.1',
    databaseUrl,
    databasePoolMax: int(env, 'DATABASE_POOL_MAX', 10, 1, 200),
    databaseAppRole: appRole,
    redisUrl,
    queuePrefix: str(env, 'QUEUE_PREFIX') ?? 'spreiding',
    queueLockDurationMs: int(env, 'QUEUE_LOCK_DURATION_MS', 30_000, 1_000, 600_000),
    queueStalledIntervalMs: int(env, 'QUEUE_STALLED_INTERVAL_MS', 30_000, 1_000, 600_000),
    dataDir,
    logLevel,
    embedded,
    uiLocalSignIn,
    auth: {
      jwtSecret,
      jwksUrl,
      issuer: str(env, 'AUTH_JWT_ISSUER'),
      audience: str(env, 'AUTH_JWT_AUDIENCE'),
    },
    pii: {
      encryptionKey: piiKey('PII_ENCRYPTION_KEY'),
      previousEncryptionKeys: previous,
      hmacKey: piiKey('PII_HMAC_KEY'),
    },
    allocation: {
      unit,
      excludeReportingMunicipality: bool(env, 'EXCLUDE_REPORTING_MUNICIPALITY', true),
      networkTolerance: int(env, 'NETWORK_TOLERANCE', 1, 0, 1000),
    },
    periods: {
      carryFactor,
      carryCap: carryCapRaw === undefined ? undefined : int(env, 'PERIOD_CARRY_CAP', 0, 0, 1_000_000),
    },
    shelter: { longStayDays: int(env, 'SHELTER_LONG_STAY_DAYS', 90, 1, 3650) },
    http: {
      bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
      rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 600, 1, 1_000_000),
      trustProxy: bool(env, 'TRUST_PROXY', false),
    },
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 500, 10, 60_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 100, 600_000),
    metrics: {
      port: metricsPort,
      host: str(env, 'METRICS_HOST') ?? str(env, 'HOST') ?? '127.0.0.1',
      token: metricsToken,
    },
    tracing: {
      tracesUrl: otlpTracesEndpoint ?? (otlpEndpoint === undefined ? undefined : `${otlpEndpoint.replace(/\/+$/, '')}/v1/traces`),
      headers: otlpHeaders(str(env, 'OTEL_EXPORTER_OTLP_HEADERS')),
      serviceName: str(env, 'OTEL_SERVICE_NAME') ?? 'spreiding',
    },
  };
  return Object.freeze(config);
}
