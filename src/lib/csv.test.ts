import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv, toDutchCsv } from './csv.js';

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

describe('toDutchCsv: the Dutch spreadsheet dialect', () => {
  it('writes a BOM, semicolons, CRLF, decimal commas and ja/nee', () => {
    const text = toDutchCsv(['Gemeente', 'Saldo', 'Aandeel', 'Actief'], [["'s-Hertogenbosch", '-1.2500', 0.25, true], ['Súdwest-Fryslân', '3', -2, false]]);
    expect(text).toBe("\ufeffGemeente;Saldo;Aandeel;Actief\r\n's-Hertogenbosch;-1,2500;0,25;ja\r\nSúdwest-Fryslân;3;-2;nee\r\n");
  });

  it('quotes fields with a semicolon, a quote or a line break, and leaves commas alone', () => {
    expect(toDutchCsv(['a', 'b', 'c'], [['x;y', 'zei "ja"', 'een, twee']])).toBe('\ufeffa;b;c\r\n"x;y";"zei ""ja""";een, twee\r\n');
  });

  it('neutralises formulas as the RFC 4180 writer does, and keeps negative numbers numbers', () => {
    expect(toDutchCsv(['a', 'b'], [['=HYPERLINK("http://evil.example")', '-3.5']])).toBe(`\ufeffa;b\r\n"'=HYPERLINK(""http://evil.example"")";-3,5\r\n`);
    expect(toDutchCsv(['a'], [['@SUM(1;1)']])).toBe(`\ufeffa\r\n"'@SUM(1;1)"\r\n`);
  });

  it('reads back with the semicolon separator', () => {
    const rows = [['GM0363', 'Amsterdam; centrum', '1,5']];
    expect(parseCsv(toDutchCsv(['code', 'naam', 'getal'], [['GM0363', 'Amsterdam; centrum', 1.5]]), ';')).toEqual([['code', 'naam', 'getal'], ...rows]);
  });
});
