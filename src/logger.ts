import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

/**
 * Personal data and credentials never reach the log. Routes log no bodies; these paths catch
 * what might slip into a log line anyway (a request object, an error carrying a body).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'authorization',
  '*.authorization',
  '*.bsn',
  '*.name',
  '*.notes',
  '*.location',
  '*.reason',
  'body',
  '*.body',
  'household',
  '*.household',
];

const REDACTED = '[redacted]';

/**
 * Query parameters whose values are codes, enums, numbers or ids, kept in the log for debugging.
 * Any other value is redacted: a client may put a BSN or a name in a query string (DESIGN §8
 * forbids it, but the request is logged before it is refused).
 */
const LOGGED_QUERY_PARAMETERS = new Set([
  'page', 'pageSize', 'status', 'period', 'municipality', 'reportingMunicipality', 'receivingMunicipality', 'registrationId', 'before', 'force', 'version', 'province',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SAFE_TEXT = /^[A-Za-z0-9_.:-]{1,64}$/;
/** A BSN has 9 digits, a phone number 10: a long run of digits outside an id is redacted. */
const LONG_DIGIT_RUN = /\d{7,}/;
/**
 * A BSN as people write it: 9 digits, possibly grouped with dots, dashes or spaces
 * (123456782, 1234.56.782, 123-456-782, 12 34 56 782), not part of a longer word or number.
 * Dates (8 digits), UUIDs (no run of whole groups adds up to 9) and trace ids (hex, so a
 * letter sits next to the digits) do not match it.
 */
const BSN_ANY_FORMAT = /(?<![0-9A-Za-z])\d(?:[ .-]?\d){8}(?![0-9A-Za-z])/g;

/** Text with every BSN-shaped number replaced. */
export function withoutBsns(text: string): string {
  return text.replace(BSN_ANY_FORMAT, REDACTED);
}

/** Every string in a parsed log line, BSN-free; numbers, booleans and keys stay as they are. */
function scrubbed(value: unknown): unknown {
  if (typeof value === 'string') return withoutBsns(value);
  if (Array.isArray(value)) return value.map(scrubbed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [withoutBsns(k), scrubbed(v)]));
  }
  return value;
}

/**
 * The last line of defence: whatever a log line holds (a message, an error's text or stack, a
 * header, a URL), a BSN in any format is replaced before the line is written. Most lines have no
 * 9-digit group and pass untouched; a line that has one is parsed and its strings rewritten.
 */
export function bsnScrubbingStream(out: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      BSN_ANY_FORMAT.lastIndex = 0;
      if (!BSN_ANY_FORMAT.test(line)) return out.write(line);
      let rewritten: string;
      try {
        rewritten = `${JSON.stringify(scrubbed(JSON.parse(line)))}\n`;
      } catch {
        rewritten = withoutBsns(line);
      }
      return out.write(rewritten);
    },
  };
}

function decoded(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function looksPersonal(text: string): boolean {
  BSN_ANY_FORMAT.lastIndex = 0;
  return LONG_DIGIT_RUN.test(text) || BSN_ANY_FORMAT.test(text);
}

/** The request URL as it may be logged: no long digit runs in the path, no free values in the query. */
export function loggableUrl(url: string): string {
  const q = url.indexOf('?');
  const path = (q === -1 ? url : url.slice(0, q))
    .split('/')
    .map((segment) => {
      const text = decoded(segment);
      return UUID.test(text) || !looksPersonal(text) ? segment : REDACTED;
    })
    .join('/');
  if (q === -1) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = decoded(eq === -1 ? pair : pair.slice(0, eq));
      const value = decoded(eq === -1 ? '' : pair.slice(eq + 1));
      const shownName = SAFE_TEXT.test(name) && !looksPersonal(name) ? name : REDACTED;
      if (eq === -1) return shownName;
      const keep = LOGGED_QUERY_PARAMETERS.has(name) && SAFE_TEXT.test(value) && (UUID.test(value) || !looksPersonal(value));
      return `${shownName}=${keep ? value : REDACTED}`;
    });
  return `${path}?${query.join('&')}`;
}

/** Fastify's request serializer, with the URL made safe to log (Fastify prefers the logger's own). */
const serializers = {
  req: (req: { method?: string; url?: string; host?: string; ip?: string; socket?: { remotePort?: number } }) => ({
    method: req.method,
    url: req.url === undefined ? undefined : loggableUrl(req.url),
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};

/** Logs to stdout, or to `destination` (a file, or a stream a test reads). */
export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'spreiding', ...base },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    serializers,
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return pino(options, bsnScrubbingStream(destination ?? pino.destination(1)));
}
