/** The only source of "now" for services; tests pass a fixed clock. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Built once: constructing an Intl.DateTimeFormat costs far more than formatting with one. */
const AMSTERDAM_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

/** Today's calendar date in Europe/Amsterdam, where the families and municipalities are. */
export function amsterdamDate(at: Date): string {
  return AMSTERDAM_DATE.format(at);
}
