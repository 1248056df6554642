import { describe, expect, it } from 'vitest';
import { addWorkingDays, amsterdamMidnight, endOfDay, isWorkingDay, workingDayOnOrAfter } from './working-days.js';

describe('the Dutch working-day calendar', () => {
  it('knows the days off of 2027: Easter Monday, Koningsdag, Bevrijdingsdag, Ascension, Whit Monday, Christmas', () => {
    for (const d of ['2027-01-01', '2027-03-29', '2027-04-27', '2027-05-05', '2027-05-06', '2027-05-17', '2027-12-27']) {
      // 2027-12-25/26 fall on a weekend; the 27th is an ordinary Monday (no substitute day in NL).
      if (d === '2027-12-27') expect(isWorkingDay(d), d).toBe(true);
      else expect(isWorkingDay(d), d).toBe(false);
    }
    expect(isWorkingDay('2026-12-25')).toBe(false);
    expect(isWorkingDay('2026-12-24')).toBe(true);
  });

  it('keeps Goede Vrijdag a working day and takes Bevrijdingsdag off in every year, not only lustrum years', () => {
    expect(isWorkingDay('2027-03-26')).toBe(true); // Goede Vrijdag
    expect(isWorkingDay('2028-05-05')).toBe(false); // a Friday, not a lustrum year
    expect(isWorkingDay('2026-05-05')).toBe(false);
  });

  it('moves Koningsdag to Saturday 26 April when the 27th is a Sunday (2025), so the Monday after is a working day', () => {
    expect(isWorkingDay('2025-04-28')).toBe(true);
  });

  it('counts working days after a date, skipping weekends and holidays', () => {
    expect(addWorkingDays('2026-11-27', 2)).toBe('2026-12-01'); // Friday + 2 → Tuesday
    expect(addWorkingDays('2026-11-28', 2)).toBe('2026-12-01'); // Saturday + 2 → Tuesday
    expect(addWorkingDays('2026-12-23', 2)).toBe('2026-12-28'); // over Christmas
    expect(addWorkingDays('2027-04-26', 2)).toBe('2027-04-29'); // over Koningsdag (Tuesday)
    expect(addWorkingDays('2027-05-04', 2)).toBe('2027-05-10'); // over Bevrijdingsdag and Ascension
    expect(addWorkingDays('2027-05-14', 1)).toBe('2027-05-18'); // over Whit Monday
    expect(addWorkingDays('2026-11-27', 0)).toBe('2026-11-27');
  });

  it('moves a date that is no working day to the next working day', () => {
    expect(workingDayOnOrAfter('2027-03-28')).toBe('2027-03-30'); // Easter Sunday → Tuesday
    expect(workingDayOnOrAfter('2027-03-30')).toBe('2027-03-30');
  });

  it('ends a day at midnight in Amsterdam, in winter and summer time and on the days the clocks change', () => {
    expect(amsterdamMidnight('2026-12-01').toISOString()).toBe('2026-11-30T23:00:00.000Z');
    expect(amsterdamMidnight('2026-07-01').toISOString()).toBe('2026-06-30T22:00:00.000Z');
    expect(amsterdamMidnight('2026-03-29').toISOString()).toBe('2026-03-28T23:00:00.000Z'); // clocks go forward at 02:00
    expect(amsterdamMidnight('2026-10-25').toISOString()).toBe('2026-10-24T22:00:00.000Z'); // clocks go back at 03:00
    expect(endOfDay('2026-12-01').toISOString()).toBe('2026-12-01T23:00:00.000Z');
  });
});
