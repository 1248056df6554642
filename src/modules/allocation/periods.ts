// Half-year periods (DESIGN §5): reporting and settlement windows, named like 2026-H1.
import { amsterdamDate } from '../../clock.js';

/** 2000-H1 … 2099-H2, as the Period schema (src/http/schemas.ts). */
export const PERIOD_PATTERN = /^(20[0-9]{2})-H([12])$/;

export function periodOfDate(date: string): string {
  const [y, m] = date.split('-');
  return `${y}-H${Number(m) <= 6 ? 1 : 2}`;
}

/** The period an instant belongs to, on the Amsterdam calendar. */
export const periodAt = (at: Date) => periodOfDate(amsterdamDate(at));

export function periodBounds(period: string): { startsOn: string; endsOn: string } {
  const m = PERIOD_PATTERN.exec(period);
  if (!m) throw new Error(`not a period: ${period}`);
  return m[2] === '1' ? { startsOn: `${m[1]}-01-01`, endsOn: `${m[1]}-06-30` } : { startsOn: `${m[1]}-07-01`, endsOn: `${m[1]}-12-31` };
}

export function nextPeriod(period: string): string {
  const m = PERIOD_PATTERN.exec(period);
  if (!m) throw new Error(`not a period: ${period}`);
  return m[2] === '1' ? `${m[1]}-H2` : `${Number(m[1]) + 1}-H1`;
}

export function previousPeriod(period: string): string {
  const m = PERIOD_PATTERN.exec(period);
  if (!m) throw new Error(`not a period: ${period}`);
  return m[2] === '2' ? `${m[1]}-H1` : `${Number(m[1]) - 1}-H2`;
}
