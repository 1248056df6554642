import type { Role } from '../auth/auth-tokens.js';

/**
 * Who reads the aggregate reports that hold no personal data (the maatwerk deviation report).
 * One list, so a read-only role for policy makers is added here once.
 */
export const AGGREGATE_REPORT_ROLES: readonly Role[] = ['coordinator'];
