import { describe, expect, it } from 'vitest';
import { parseWeightsCsv, WeightsCsvError } from './weights-csv.js';

describe('parseWeightsCsv', () => {
  it('reads code and population, ignoring other columns, quotes and CRLF', () => {
    const text = '\uFEFFcode,name,population\r\nGM0001,"Aa, en ""Hunze""",100\r\nGM0002,"Multi\nline",0\r\n\r\n';
    expect(parseWeightsCsv(text)).toEqual([
      { code: 'GM0001', weight: 100n },
      { code: 'GM0002', weight: 0n },
    ]);
  });

  it('prefers weight over population', () => {
    expect(parseWeightsCsv('population,Code,Weight\n5,A,7\n')).toEqual([{ code: 'A', weight: 7n }]);
  });

  it.each([
    ['', /empty/],
    ['code,name\nA,x\n', /header/],
    ['code,weight\nA,1.5\n', /non-negative integer/],
    ['code,weight\nA,-1\n', /non-negative integer/],
    ['code,weight\nA,\n', /non-negative integer/],
    ['code,weight\nA,0\nB,0\n', /all weight values are zero/],
    ['code,weight\nA,1\nA,2\n', /twice/],
    ['code,weight\nA\n', /fields/],
    ['code,weight\n', /no municipalities/],
    ['code,weight\n"A,1\n', /unterminated/],
  ])('rejects %j', (text, message) => {
    expect(() => parseWeightsCsv(text)).toThrow(WeightsCsvError);
    expect(() => parseWeightsCsv(text)).toThrow(message);
  });
});
