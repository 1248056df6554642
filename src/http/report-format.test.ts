import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { reportFormat } from './report-format.js';

const negotiate = (accept: string | undefined) => reportFormat({ headers: accept === undefined ? {} : { accept } } as FastifyRequest);

describe('reportFormat', () => {
  it.each([
    [undefined, 'json'],
    ['*/*', 'json'],
    ['application/json', 'json'],
    ['text/csv', 'csv'],
    ['text/csv; charset=utf-8; header=present', 'csv'],
    ['text/csv; dialect=nl', 'csv-nl'],
    ['text/csv;dialect="NL"', 'csv-nl'],
    ['text/csv; header=present; dialect=nl', 'csv-nl'],
    ['text/csv, text/csv; dialect=nl', 'csv-nl'],
    ['text/csv; dialect=nl; q=0.5, text/csv', 'csv'],
    ['text/csv; dialect=nl, */*', 'csv-nl'],
    ['application/json, text/csv; dialect=nl; q=0.9', 'json'],
    ['text/csv; dialect=de, application/json; q=0.1', 'json'],
    ['text/html, text/csv', 'csv'],
  ] as const)('Accept %j → %s', (accept, format) => {
    expect(negotiate(accept)).toBe(format);
  });

  it.each(['text/html', 'text/csv; dialect=de', 'text/csv; q=0', 'application/xml'])('refuses %j with 406', (accept) => {
    expect(() => negotiate(accept)).toThrow(expect.objectContaining({ code: 'not_acceptable', status: 406 }));
  });
});
