// Working days on the Dutch calendar, for the deadlines of issue 13. Deadlines are dates on the
// Amsterdam calendar; only the moment a deadline passes is an instant (midnight in Amsterdam).
import Holidays from 'date-holidays';

/**
 * Days off for the parties that act on these deadlines (municipalities and the coordination
 * point): Monday to Friday are working days except the public holidays in the date-holidays data
 * for NL (Nieuwjaarsdag, Pasen and Tweede Paasdag, Koningsdag — on the 26th when the 27th is a
 * Sunday — Hemelvaartsdag, Pinksteren and Tweede Pinksterdag, Eerste and Tweede Kerstdag) and
 * Bevrijdingsdag every year. The library lists 5 May as a school holiday, because for most
 * employers it is a day off only in lustrum years; for municipal staff it is a paid day off every
 * year since the Cao Gemeenten 2023 (art. 6.6), and for the Rijk it already was. Goede Vrijdag is
 * a working day: it is not a day off in either cao.
 */
const LIBERATION_DAY_RULE = '05-05';

const holidays = new Holidays('NL');
const byYear = new Map<number, Set<string>>();

function daysOff(year: number): Set<string> {
  let set = byYear.get(year);
  if (!set) {
    set = new Set(
      holidays
        .getHolidays(year)
        .filter((h) => h.type === 'public' || h.rule === LIBERATION_DAY_RULE)
        .map((h) => h.date.slice(0, 10)),
    );
    byYear.set(year, set);
  }
  return set;
}

const DAY_MS = 86_400_000;
const toUtc = (date: string) => Date.parse(`${date}T00:00:00Z`);
const fromUtc = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The calendar date `n` days after `date` (YYYY-MM-DD), without time zones. */
export function addDays(date: string, n: number): string {
  return fromUtc(toUtc(date) + n * DAY_MS);
}

export function isWorkingDay(date: string): boolean {
  const weekday = new Date(toUtc(date)).getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return !daysOff(Number(date.slice(0, 4))).has(date);
}

/** The `n`-th working day after `date` (the date itself does not count); `n` = 0 gives `date`. */
export function addWorkingDays(date: string, n: number): string {
  let d = date;
  for (let left = n; left > 0; ) {
    d = addDays(d, 1);
    if (isWorkingDay(d)) left--;
  }
  return d;
}

/** `date` when it is a working day, else the first working day after it. */
export function workingDayOnOrAfter(date: string): string {
  let d = date;
  while (!isWorkingDay(d)) d = addDays(d, 1);
  return d;
}

const AMSTERDAM_LOCAL = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
});
const localText = (at: number) => AMSTERDAM_LOCAL.format(new Date(at)).replace(',', '');

/** The instant a calendar date begins in Amsterdam (UTC+1 in winter, UTC+2 in summer). */
export function amsterdamMidnight(date: string): Date {
  const utc = toUtc(date);
  for (const offsetHours of [1, 2]) {
    const at = utc - offsetHours * 3_600_000;
    if (localText(at) === `${date} 00:00`) return new Date(at);
  }
  throw new Error(`no midnight in Amsterdam on ${date}`);
}

/** The instant a deadline whose last day is `lastDay` has passed: the end of that day in Amsterdam. */
export const endOfDay = (lastDay: string): Date => amsterdamMidnight(addDays(lastDay, 1));
