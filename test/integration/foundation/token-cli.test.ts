// `npm run --silent token`: what an operator pipes into curl must be a token and nothing else.
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startTestApp, TEST_HMAC_KEY, TEST_JWT_SECRET, TEST_PII_KEY, type TestApp } from '../../support/harness.js';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(async () => {
  await t?.close();
});

/** Runs the CLI; resolves with its exit status and output whatever the status. */
function token(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      'node_modules/.bin/tsx',
      ['scripts/token.ts', ...args],
      {
        encoding: 'utf8',
        timeout: 60_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          DATABASE_URL: t.databaseUrl,
          AUTH_JWT_SECRET: TEST_JWT_SECRET,
          PII_ENCRYPTION_KEY: TEST_PII_KEY,
          PII_HMAC_KEY: TEST_HMAC_KEY,
          // Verbose on purpose: a log line on stdout would corrupt the token an operator pipes into curl.
          LOG_LEVEL: 'info',
        },
      },
      (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
    );
  });
}

describe('token CLI', () => {
  it('prints only a JWT that the API accepts', async () => {
    const res = await token(['--role', 'municipality', '--municipality', 'GM0363']);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout.endsWith('\n')).toBe(true);
    const jwt = res.stdout.trimEnd();
    expect(jwt).toMatch(JWT);
    expect(decodeJwt(jwt)).toMatchObject({ role: 'municipality', municipality: 'GM0363', sub: expect.any(String), exp: expect.any(Number) });

    const api = await t.app.inject({ url: '/api/v1/municipalities/GM0363', headers: { authorization: `Bearer ${jwt}` } });
    expect(api.statusCode).toBe(200);
    expect(api.json().code).toBe('GM0363');
  });

  it('prints a housing corporation token with its working area', async () => {
    const res = await token(['--role', 'housing_corporation', '--municipalities', 'GM0363,GM0344']);
    expect(res.status).toBe(0);
    expect(decodeJwt(res.stdout.trimEnd())).toMatchObject({ role: 'housing_corporation', municipalities: ['GM0363', 'GM0344'] });
  });

  it.each([
    ['an unknown role', ['--role', 'superuser'], /--role must be one of/],
    ['no role', [], /--role must be one of/],
    ['a municipality role without a GM code', ['--role', 'municipality'], /municipality claim/],
    ['a municipality code that is not a GM code', ['--role', 'municipality', '--municipality', '0363'], /municipality claim/],
    ['an unknown option', ['--role', 'coordinator', '--admin'], /Unknown option/],
  ])('exits non-zero with a message on stderr for %s', async (_name, args, message) => {
    const res = await token(args as string[]);
    expect(res.status).not.toBe(0);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message as RegExp);
  });
});
