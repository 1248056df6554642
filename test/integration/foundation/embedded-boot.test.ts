// `npm ci && npm start` on a fresh machine: no DATABASE_URL, no REDIS_URL. The real entry point
// runs as a child process on PGlite and in-process jobs, exactly as a newcomer would start it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { familyBody } from '../../support/families.js';

const BOOT_TIMEOUT_MS = 90_000;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

let dataDir: string;
let port: number;
let child: ChildProcess;
let output = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

/** Only what a newcomer's shell would have: no database or Redis URL leaks in from the test run. */
const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'spreiding-embedded-'));
  port = await freePort();
  // As `npm start` runs it: the tsx CLI, which runs the service in a node child of its own. A
  // process group of its own lets the clean-up below kill both.
  child = spawn('node_modules/.bin/tsx', ['src/main.ts'], { env: env(), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`npm start exited early (${child.exitCode}):\n${output}`);
    const up = await fetch(`http://127.0.0.1:${port}/api/v1/health`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) throw new Error(`npm start did not listen within ${BOOT_TIMEOUT_MS} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}, BOOT_TIMEOUT_MS + 10_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    // The whole group: SIGKILL to the tsx parent alone would leave the service running.
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function tokenCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = execFile('node_modules/.bin/tsx', ['scripts/token.ts', ...args], { encoding: 'utf8', timeout: 60_000, env: env() }, (_e, stdout, stderr) =>
      resolve({ status: p.exitCode, stdout, stderr }),
    );
  });
}

describe('embedded mode (npm start without DATABASE_URL and REDIS_URL)', () => {
  it('generates its keys into DATA_DIR, readable by the owner only', () => {
    expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(output).toMatch(/npm run --silent token -- --role coordinator/);
  });

  it('is ready: the embedded database and the in-process queue answer', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/ready`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ready' });
  });

  it('lists all 342 municipalities to a coordinator token from npm run token', async () => {
    const cli = await tokenCli(['--role', 'coordinator']);
    expect(cli.stderr).toBe('');
    expect(cli.status).toBe(0);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/municipalities`, { headers: { authorization: `Bearer ${cli.stdout.trim()}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('api-version')).toBe('1.0.0');
    const body = (await res.json()) as { total: number; items: unknown[] };
    expect(body.total).toBe(342);
    expect(body.items.length).toBeGreaterThan(0);
  });

  it('registers a family on PGlite, answers a retry with the same Idempotency-Key, refuses the family again with 409, and proposes it', async () => {
    const cli = await tokenCli(['--role', 'municipality', '--municipality', 'GM0363']);
    expect(cli.status).toBe(0);
    const coord = (await tokenCli(['--role', 'coordinator'])).stdout.trim();
    const body = familyBody({ networkMunicipalities: ['GM0344'] });
    const post = (b: unknown, key?: string) =>
      fetch(`http://127.0.0.1:${port}/api/v1/registrations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${cli.stdout.trim()}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify(b),
      });
    const first = await post(body, 'embedded-1');
    const text = await first.text();
    expect(first.status, text).toBe(202);
    const again = await post(body, 'embedded-1');
    expect(again.status).toBe(202);
    // A replay answers the registration as it is now (the worker may have proposed it already).
    expect(((await again.json()) as { id: string }).id).toBe((JSON.parse(text) as { id: string }).id);
    const dup = await post(body);
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { code: string }).code).toBe('duplicate_registration');
    const { id } = JSON.parse(text) as { id: string };
    const deadline = Date.now() + 20_000;
    let status = 'queued';
    while (status === 'queued' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      const r = await fetch(`http://127.0.0.1:${port}/api/v1/registrations/${id}`, { headers: { authorization: `Bearer ${coord}` } });
      status = ((await r.json()) as { status: string }).status;
    }
    expect(status).toBe('proposed');
  });

  it('stops cleanly on SIGTERM with exit code 0', async () => {
    child.kill('SIGTERM');
    const result = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit after SIGTERM:\n${output}`)), 30_000).unref()),
    ]);
    expect(result, output).toEqual({ code: 0, signal: null });
  });
});
