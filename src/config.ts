// The only reader of process.env. Everything else receives a validated, frozen Config.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { isIP } from 'node:net';
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
    /** How long the rate limiter waits for Redis before it counts in this process's memory instead. */
    readonly rateLimitRedisTimeoutMs: number;
    /**
     * Behind reverse proxies: which X-Forwarded-For entries to believe. A hop count (the last n
     * proxies are ours) or the addresses/CIDRs of our proxies; false trusts none. Never "all":
     * then any client could name its own address and leave its rate-limit bucket.
     */
    readonly trustProxy: false | number | readonly string[];
    /** The whole request (headers and body) must arrive within this; a slow client gets 408. */
    readonly requestTimeoutMs: number;
    /** The headers must arrive within this. */
    readonly headersTimeoutMs: number;
    /** A socket with no traffic this long is closed (longer than the slowest answer). */
    readonly connectionTimeoutMs: number;
    /** An idle keep-alive connection is closed after this. */
    readonly keepAliveTimeoutMs: number;
    /** Request line and headers together; larger is 431. */
    readonly maxHeaderBytes: number;
  };
  readonly privacy: {
    /** A closed or housed case is pseudonymised this many days after it closed. */
    readonly retentionAfterCloseDays: number;
    /** A municipality reads a closed or housed case's personal data this many days after it closed. */
    readonly municipalityAccessAfterCloseDays: number;
    /** Largest case document, in bytes (before base64). */
    readonly documentMaxBytes: number;
  };
  /** How often the outbox relay looks for unsent rows when nothing nudged it. */
  readonly outboxPollMs: number;
  /** How long a graceful shutdown may take before the process exits anyway. */
  readonly shutdownTimeoutMs: number;
  /** Deadlines per stage (issue 13): working days on the Dutch calendar, Europe/Amsterdam. */
  readonly deadlines: {
    readonly reviewWorkingDays: number;
    readonly decisionWorkingDays: number;
    readonly transferWeeks: number;
    /** Working days after a missed deadline before the signal escalates to the coordinator. */
    readonly escalationWorkingDays: number;
    readonly scanEveryMs: number;
  };
  /** Notifications (webhooks) in the NL GOV profile for CloudEvents. */
  readonly webhooks: {
    /** The CloudEvents `source`: a URN naming this service (NL GOV profile: urn:nld:…). */
    readonly source: string;
    /** Absolute base of the API links in `dataref` (what receivers call back). */
    readonly publicBaseUrl: string;
    readonly timeoutMs: number;
    readonly maxAttempts: number;
    readonly retryBaseMs: number;
    readonly concurrency: number;
    /** Development and tests only: http targets and loopback/private addresses. */
    readonly allowPrivateTargets: boolean;
  };
  /**
   * Which queues a worker process takes jobs from: both (default), or only one, so webhook
   * deliveries can have processes (and CPU) of their own.
   */
  readonly workerQueues: 'all' | 'allocation' | 'webhooks';
  /** Direction B: the coordination point may hold stays at a central facility, booked nationally. */
  readonly centralShelter: boolean;
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
  if (new Set(buf).size < MIN_DISTINCT_KEY_BYTES || repeatsItself(buf.toString('latin1'), 4)) {
    throw new ConfigError(name, 'is not random (too few distinct bytes, or a repeated pattern); generate one with: openssl rand -base64 32');
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

/** True when some run of `length` characters occurs twice (a pattern repeated to fill the length). */
function repeatsItself(text: string, length: number): boolean {
  const seen = new Set<string>();
  for (let i = 0; i + length <= text.length; i++) {
    const run = text.slice(i, i + length);
    if (seen.has(run)) return true;
    seen.add(run);
  }
  return false;
}

/**
 * 32 random bytes have about 30 distinct values, and a run of 4 bytes that occurs twice has a
 * chance of about 1e-7; fewer than 16 distinct values, or such a repeat, is what a hand-made key
 * (Buffer.alloc(32, 7), a counter, a word repeated) looks like.
 */
const MIN_DISTINCT_KEY_BYTES = 16;
/** An HMAC secret needs at least the strength of a 128-bit key. */
const MIN_SECRET_BITS = 128;
const MIN_SECRET_BYTES = 32;

/**
 * A shared secret that is short or plainly not random is refused: its estimated entropy (the
 * per-character Shannon entropy of the text times its length) must reach 128 bits, and no run of
 * 6 characters may occur twice (a word or pattern repeated to reach the length). Both a
 * base64 (openssl rand -base64 32) and a hex (openssl rand -hex 32) secret pass easily.
 */
export function weakSecretReason(secret: string): string | undefined {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) return `must be at least ${MIN_SECRET_BYTES} bytes long`;
  const counts = new Map<string, number>();
  for (const c of secret) counts.set(c, (counts.get(c) ?? 0) + 1);
  const n = [...secret].length;
  let bitsPerChar = 0;
  for (const k of counts.values()) bitsPerChar -= (k / n) * Math.log2(k / n);
  if (bitsPerChar * n < MIN_SECRET_BITS) return 'is not random enough (too few distinct characters); generate one with: openssl rand -base64 32';
  if (repeatsItself(secret, REPEAT_RUN)) return 'repeats itself (a pattern, not a random secret); generate one with: openssl rand -base64 32';
  return undefined;
}
const REPEAT_RUN = 6;

/**
 * TRUST_PROXY: unset or false trusts no proxy; a whole number is how many proxies in front of
 * the service append to X-Forwarded-For; otherwise a comma-separated list of the proxies'
 * addresses or CIDR ranges. "true" (trust every hop, so the client picks its own address) is refused.
 */
function trustProxy(env: Env): false | number | readonly string[] {
  const raw = str(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true') {
    throw new ConfigError('TRUST_PROXY', 'may not be true (every hop trusted lets a client choose its own address); give the number of proxies in front of the service, or their addresses/CIDRs');
  }
  if (/^\d+$/.test(raw)) return int(env, 'TRUST_PROXY', 0, 1, 10);
  const entries = raw.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const e of entries) {
    const [address, bits, ...rest] = e.split('/');
    const family = isIP(address ?? '');
    const maxBits = family === 4 ? 32 : 128;
    const okBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= maxBits);
    if (family === 0 || !okBits || rest.length > 0) {
      throw new ConfigError('TRUST_PROXY', `must be a number of proxies or a list of proxy addresses/CIDRs, got "${e}"`);
    }
  }
  if (entries.length === 0 || entries.length > 50) throw new ConfigError('TRUST_PROXY', 'must list 1 to 50 proxy addresses');
  return Object.freeze(entries);
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
  // The directory holds the database and its keys: nobody but this service's user may enter it.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  if (existsSync(file)) {
    chmodSync(file, 0o600);
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedSecrets;
    } catch {
      throw new ConfigError('DATA_DIR', `holds an unreadable ${file}; restore it from a backup (the data cannot be decrypted without it)`);
    }
  }
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

function workerQueues(env: Env): Config['workerQueues'] {
  const v = str(env, 'WORKER_QUEUES') ?? 'all';
  if (v !== 'all' && v !== 'allocation' && v !== 'webhooks') throw new ConfigError('WORKER_QUEUES', `must be all, allocation or webhooks, got "${v}"`);
  return v;
}

/** A URN of this service for the CloudEvents `source` (NL GOV profile: namespace `nld`). */
const EVENT_SOURCE = /^urn:nld:[A-Za-z0-9()+,\-.:=@;$_!*'%]{1,200}$/;

function webhookConfig(env: Env, embedded: boolean): Config['webhooks'] {
  const source = str(env, 'EVENT_SOURCE') ?? 'urn:nld:landelijk-coordinatiepunt:systeem:spreiding';
  if (!EVENT_SOURCE.test(source)) throw new ConfigError('EVENT_SOURCE', `must be a URN in the nld namespace (urn:nld:…), got "${source}"`);
  const base = url(env, 'PUBLIC_BASE_URL', ['https:', 'http:']) ?? `http://${str(env, 'HOST') ?? '127.0.0.1'}:${str(env, 'PORT') ?? '3000'}`;
  const allowPrivateTargets = bool(env, 'WEBHOOK_ALLOW_PRIVATE_TARGETS', false);
  // The production image sets NODE_ENV=production: there the switch would open the internal network to subscribers.
  if (allowPrivateTargets && !embedded && env.NODE_ENV === 'production') {
    throw new ConfigError('WEBHOOK_ALLOW_PRIVATE_TARGETS', 'is refused with NODE_ENV=production: it lets subscriptions reach the internal network');
  }
  return {
    source,
    publicBaseUrl: base.replace(/\/+$/, ''),
    timeoutMs: int(env, 'WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
    maxAttempts: int(env, 'WEBHOOK_MAX_ATTEMPTS', 8, 1, 25),
    retryBaseMs: int(env, 'WEBHOOK_RETRY_BASE_MS', 30_000, 10, 3_600_000),
    concurrency: int(env, 'WEBHOOK_CONCURRENCY', 8, 1, 200),
    allowPrivateTargets,
  };
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
  const weak = jwtSecret === undefined ? undefined : weakSecretReason(jwtSecret);
  if (weak) throw new ConfigError('AUTH_JWT_SECRET', weak);

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

  const requestTimeoutMs = int(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 600_000);
  const headersTimeoutMs = int(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS', `must not exceed HTTP_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`);
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
      rateLimitRedisTimeoutMs: int(env, 'RATE_LIMIT_REDIS_TIMEOUT_MS', 100, 5, 2_000),
      trustProxy: trustProxy(env),
      requestTimeoutMs,
      headersTimeoutMs,
      connectionTimeoutMs: int(env, 'HTTP_CONNECTION_TIMEOUT_MS', 65_000, 1_000, 3_600_000),
      keepAliveTimeoutMs: int(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5_000, 100, 600_000),
      maxHeaderBytes: int(env, 'HTTP_MAX_HEADER_BYTES', 16 * 1024, 1024, 64 * 1024),
    },
    privacy: {
      retentionAfterCloseDays: int(env, 'RETENTION_AFTER_CLOSE_DAYS', 730, 1, 36_500),
      municipalityAccessAfterCloseDays: int(env, 'MUNICIPALITY_ACCESS_AFTER_CLOSE_DAYS', 90, 0, 36_500),
      documentMaxBytes: int(env, 'DOCUMENT_MAX_BYTES', 4 * 1024 * 1024, 1024, 20 * 1024 * 1024),
    },
    outboxPollMs: int(env, 'OUTBOX_POLL_MS', 500, 10, 60_000),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 100, 600_000),
    deadlines: {
      reviewWorkingDays: int(env, 'DEADLINE_REVIEW_WORKING_DAYS', 2, 1, 60),
      decisionWorkingDays: int(env, 'DEADLINE_DECISION_WORKING_DAYS', 5, 1, 60),
      transferWeeks: int(env, 'DEADLINE_TRANSFER_WEEKS', 10, 1, 104),
      escalationWorkingDays: int(env, 'DEADLINE_ESCALATION_WORKING_DAYS', 2, 0, 60),
      scanEveryMs: int(env, 'DEADLINE_SCAN_EVERY_MS', 60_000, 1_000, 24 * 3600_000),
    },
    webhooks: webhookConfig(env, embedded),
    workerQueues: workerQueues(env),
    centralShelter: bool(env, 'CENTRAL_SHELTER', false),
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
