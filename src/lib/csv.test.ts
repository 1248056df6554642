import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from './csv.js';

describe('toCsv and spreadsheet formulas (OWASP CSV injection)', () => {
  it.each([
    ['=HYPERLINK("http://evil.example","klik")', `"'=HYPERLINK(""http://evil.example"",""klik"")"`],
    ['+cmd|\' /C calc\'!A0', `'+cmd|' /C calc'!A0`],
    ['-2+3+cmd|\' /C calc\'!A0', `'-2+3+cmd|' /C calc'!A0`],
    ['@SUM(1+1)*cmd|\' /C calc\'!A0', `'@SUM(1+1)*cmd|' /C calc'!A0`],
    ['\tstart', `'\tstart`],
    ['\r=1+1', `"'\r=1+1"`],
  ])('puts a quote before the text cell %j', (cell, written) => {
    expect(toCsv(['a'], [[cell]])).toBe(`a\r\n${written}\r\n`);
  });

  it('keeps numbers numbers: negative JavaScript numbers and plain decimal text', () => {
    expect(toCsv(['n', 'balance', 'exact'], [[-3, '-1.2500', '+5']])).toBe('n,balance,exact\r\n-3,-1.2500,+5\r\n');
  });

  it('leaves ordinary text alone and reads back what it wrote', () => {
    const rows = [['GM0363', "'s-Hertogenbosch", 'Súdwest-Fryslân, "Friesland"']];
    expect(parseCsv(toCsv(['code', 'name', 'other'], rows))).toEqual([['code', 'name', 'other'], ...rows]);
  });
});
