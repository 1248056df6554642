import pino, { type Logger } from 'pino';
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

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'spreiding', ...base },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
