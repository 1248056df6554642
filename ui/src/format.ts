// Dutch formatting of numbers, money, dates and small phrases.

const TIME_ZONE = 'Europe/Amsterdam';

const decimal2 = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 2, minimumFractionDigits: 0 });
const fixed2 = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const signed2 = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 2, minimumFractionDigits: 2, signDisplay: 'exceptZero' });
// Entitlements of a young ledger are small fractions (0,0209): two decimals would show 0,02 for all.
const exact4 = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 4, minimumFractionDigits: 2 });
const signed4 = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 4, minimumFractionDigits: 2, signDisplay: 'exceptZero' });
const integer = new Intl.NumberFormat('nl-NL', { maximumFractionDigits: 0 });
const euro = new Intl.NumberFormat('nl-NL', { style: 'currency', currency: 'EUR' });
const longDate = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const dateTime = new Intl.DateTimeFormat('nl-NL', { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: TIME_ZONE });

export const num = (n: number) => decimal2.format(n);
export const num2 = (n: number) => fixed2.format(n);
export const int = (n: number) => integer.format(n);
/** Always with a sign, so a balance reads as backlog or advance without relying on colour. */
export const signed = (n: number) => signed2.format(n);
/** An entitlement or balance from the engine, to the four decimals it reports. */
export const share = (n: number) => exact4.format(n);
export const signedShare = (n: number) => signed4.format(n);
export const euros = (cents: number) => euro.format(cents / 100);

/** A calendar date (YYYY-MM-DD) as written, not shifted by any time zone. */
export function date(isoDate: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  if (!m) return isoDate;
  return longDate.format(new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))));
}

/** A moment, in Dutch time. */
export const timestamp = (iso: string) => {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
};

const amsterdamDay = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });
/** A deadline passes at midnight in Amsterdam: its last day is the day before that moment. */
export const lastDayOf = (iso: string) => date(amsterdamDay.format(new Date(new Date(iso).getTime() - 60_000)));

/** "a", "a en b", "a, b en c". */
export function listNl(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} en ${items[items.length - 1]}`;
}

export const plural = (n: number, one: string, many: string) => `${int(n)} ${n === 1 ? one : many}`;

export function days(n: number): string {
  return plural(n, 'dag', 'dagen');
}

/** Today's date in Amsterdam, YYYY-MM-DD. */
export function todayInAmsterdam(now = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return parts;
}

/** The half-year period (2026-H1) a date falls in. */
export function periodOf(isoDate: string): string {
  const [y, m] = isoDate.split('-');
  return `${y}-H${Number(m) <= 6 ? 1 : 2}`;
}

export function previousPeriod(period: string): string {
  const [y, h] = [Number(period.slice(0, 4)), period.slice(6)];
  return h === '2' ? `${y}-H1` : `${y - 1}-H2`;
}

/** "2026-H1" → "1e helft 2026". */
export function periodLabel(period: string): string {
  const m = /^(\d{4})-H([12])$/.exec(period);
  return m ? `${m[2] === '1' ? '1e' : '2e'} helft ${m[1]} (${period})` : period;
}

/** Reads an exact fraction ("7/3"), a decimal string or a number. */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const frac = /^\s*(-?\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (frac) {
    const den = Number(frac[2]);
    return den === 0 ? undefined : Number(frac[1]) / den;
  }
  const n = Number(value);
  return value.trim() !== '' && Number.isFinite(n) ? n : undefined;
}
