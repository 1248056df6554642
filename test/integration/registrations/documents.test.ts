// Case documents (issue 14 item 4; policy direction D): PDF, PNG or JPEG checked by their first
// bytes, within DOCUMENT_MAX_BYTES, encrypted at rest and bound to their row, scoped like the
// registration, every read logged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock, pgDump, rowCounts, sqlRows, startTestApp, type TestApp } from '../../support/harness.js';
import { register } from '../../support/workflow.js';

const clock = fixedClock('2026-11-30T10:00:00Z');
let t: TestApp;
let id: string;
let amsterdam: Record<string, string>;

const PDF = Buffer.from('%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% Vertrouwelijk: schuldhulpverlening sinds 2024\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR-rest-of-a-png')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF-rest-of-a-jpeg')]);
const MAX_BYTES = 2048;

const add = (payload: object, headers = amsterdam, registrationId = id) => t.app.inject({ method: 'POST', url: `/api/v1/registrations/${registrationId}/documents`, headers, payload });
const doc = (content: Buffer, contentType: string, title = 'Zelfredzaamheidsonderzoek gezin') => ({ kind: 'self_reliance_assessment', title, contentType, content: content.toString('base64') });

beforeAll(async () => {
  t = await startTestApp({ clock, env: { DOCUMENT_MAX_BYTES: String(MAX_BYTES) } });
  id = (await register(t, {}, 'GM0363')).id;
  amsterdam = await t.auth('municipality', { municipality: 'GM0363' });
});
afterAll(async () => {
  await t?.close();
});

describe('adding a document', () => {
  it('takes a PDF, a PNG and a JPEG, and answers 201 with its metadata and Location', async () => {
    for (const [content, type] of [[PDF, 'application/pdf'], [PNG, 'image/png'], [JPEG, 'image/jpeg']] as const) {
      const res = await add(doc(content, type));
      expect(res.statusCode, res.body).toBe(201);
      expect(res.json()).toMatchObject({ registrationId: id, kind: 'self_reliance_assessment', contentType: type, sizeBytes: content.length, addedBy: 'GM0363' });
      expect(res.headers.location).toBe(`/api/v1/registrations/${id}/documents/${res.json().id}`);
    }
  });

  it.each([
    ['a PNG declared as a PDF', doc(PNG, 'application/pdf'), 400, 'content_type_mismatch'],
    ['a script declared as a JPEG', doc(Buffer.from('<script>alert(1)</script>'), 'image/jpeg'), 400, 'content_type_mismatch'],
    ['an HTML page declared as a PDF', doc(Buffer.from('<html>%PDF-</html>'), 'application/pdf'), 400, 'content_type_mismatch'],
    ['only the magic bytes', doc(Buffer.from('%PDF-'), 'application/pdf'), 400, 'content_type_mismatch'],
    ['a type that is not accepted', doc(PDF, 'text/html'), 400, 'enum'],
    ['an executable', doc(Buffer.from('MZ\x90\x00'), 'application/x-msdownload'), 400, 'enum'],
    ['base64 with a line break', { ...doc(PDF, 'application/pdf'), content: `${PDF.toString('base64').slice(0, 8)}\n${PDF.toString('base64').slice(8)}` }, 400, 'pattern'],
    ['base64url instead of base64', { ...doc(Buffer.from([0xfb, 0xff, 0xbf, ...PDF]), 'application/pdf'), content: Buffer.from([0xfb, 0xff, 0xbf, ...PDF]).toString('base64url') }, 400, 'pattern'],
    ['base64 without its padding', { ...doc(PDF, 'application/pdf'), content: Buffer.concat([PDF, Buffer.from('x')]).toString('base64').replace(/=+$/, '') }, 400, 'invalid_base64'],
    ['an empty title', doc(PDF, 'application/pdf', ''), 400, 'minLength'],
    ['a title with a control character', doc(PDF, 'application/pdf', 'Rapport\u0007'), 400, 'pattern'],
    ['an unknown property', { ...doc(PDF, 'application/pdf'), filename: '../../etc/passwd' }, 400, 'additionalProperties'],
    ['a file larger than DOCUMENT_MAX_BYTES', doc(Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(MAX_BYTES)]), 'application/pdf'), 400, 'maxLength'],
  ])('refuses %s, storing nothing', async (_name, payload, status, code) => {
    const before = await rowCounts(t.databaseUrl);
    const res = await add(payload);
    expect(res.statusCode, res.body).toBe(status);
    expect([res.json().code, ...(res.json().errors ?? []).map((e: { code: string }) => e.code)]).toContain(code);
    expect(await rowCounts(t.databaseUrl)).toEqual(before);
  });

  it('answers 413 to a body far over the limit, before reading it all', async () => {
    const res = await add(doc(Buffer.concat([Buffer.from('%PDF-'), Buffer.alloc(MAX_BYTES * 4)]), 'application/pdf'));
    expect(res.statusCode).toBe(413);
    // Other operations keep their own, smaller body limit.
    const big = await t.app.inject({ method: 'POST', url: '/api/v1/registrations', headers: amsterdam, payload: { notes: 'x'.repeat(70_000) } });
    expect(big.statusCode).toBe(413);
  });
});

describe('reading documents', () => {
  it('lists them without their content and returns one with it, logging every read', async () => {
    const added = await add(doc(PDF, 'application/pdf', 'Inkomensverklaring Martina'));
    const docId = added.json().id as string;
    const receiver = await t.auth('municipality', { municipality: 'GM0599' });
    const list = await t.app.inject({ url: `/api/v1/registrations/${id}/documents`, headers: amsterdam });
    expect(list.statusCode).toBe(200);
    expect(list.json().items.find((d: { id: string }) => d.id === docId)).toEqual(expect.objectContaining({ title: 'Inkomensverklaring Martina', sizeBytes: PDF.length }));
    expect(list.json().items[0]).not.toHaveProperty('content');
    const one = await t.app.inject({ url: `/api/v1/registrations/${id}/documents/${docId}`, headers: amsterdam });
    expect(one.statusCode).toBe(200);
    expect(Buffer.from(one.json().content, 'base64').equals(PDF)).toBe(true);
    const logged = await sqlRows<{ action: string; resource_id: string }>(t.databaseUrl, `select action, resource_id from audit_events where registration_id = $1 and action in ('document.read', 'registration.read_documents', 'document.create') order by id`, [id]);
    expect(logged.slice(-3)).toEqual([
      { action: 'document.create', resource_id: docId },
      { action: 'registration.read_documents', resource_id: id },
      { action: 'document.read', resource_id: docId },
    ]);
    // A municipality the family is not allocated to, and a document of another case: 404.
    expect((await t.app.inject({ url: `/api/v1/registrations/${id}/documents/${docId}`, headers: receiver })).statusCode).toBe(404);
    const other = (await register(t, {}, 'GM0363')).id;
    expect((await t.app.inject({ url: `/api/v1/registrations/${other}/documents/${docId}`, headers: amsterdam })).statusCode).toBe(404);
  });

  it('keeps the title and the content encrypted at rest, bound to the row', async () => {
    const dump = await pgDump(t.databaseUrl);
    expect(dump).not.toContain('Inkomensverklaring');
    expect(dump).not.toContain('schuldhulpverlening');
    expect(dump).not.toContain(PDF.toString('base64').slice(0, 40));
    // A document's content moved onto another document does not decrypt there.
    const rows = await sqlRows<{ id: string; content_ciphertext: string }>(t.databaseUrl, 'select id, content_ciphertext from registration_documents where registration_id = $1 order by created_at, id', [id]);
    const [first, second] = rows;
    await sqlRows(t.databaseUrl, 'update registration_documents set content_ciphertext = $1 where id = $2', [first!.content_ciphertext, second!.id]);
    try {
      const res = await t.app.inject({ url: `/api/v1/registrations/${id}/documents/${second!.id}`, headers: amsterdam });
      expect(res.statusCode).toBe(500);
      expect(res.body).not.toContain(PDF.toString('base64').slice(0, 20));
    } finally {
      await sqlRows(t.databaseUrl, 'update registration_documents set content_ciphertext = $1 where id = $2', [second!.content_ciphertext, second!.id]);
    }
  });

  it('holds at most 50 documents per case', async () => {
    const fresh = (await register(t, {}, 'GM0363')).id;
    for (let i = 0; i < 50; i++) expect((await add(doc(PNG, 'image/png', `Bijlage ${i}`), amsterdam, fresh)).statusCode).toBe(201);
    const over = await add(doc(PNG, 'image/png', 'Bijlage 51'), amsterdam, fresh);
    expect(over.statusCode).toBe(409);
    expect(over.json().code).toBe('conflict');
  });
});
