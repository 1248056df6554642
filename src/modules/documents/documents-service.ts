// Case documents (policy direction D): what a municipality needs to assess self-reliance, kept
// with the case, encrypted, readable by whoever may read the case's personal data, every read logged.
import { randomUUID } from 'node:crypto';
import type { Db, DbOrTx } from '../../db/client.js';
import type { Clock } from '../../clock.js';
import { AppError, notFound } from '../../http/errors.js';
import type { Actor, AuditService } from '../audit/audit-service.js';
import type { Principal } from '../auth/auth-tokens.js';
import { bound, type PiiCrypto } from '../pii/pii-crypto.js';
import type { PrivacyPolicy } from '../privacy/privacy-policy.js';
import type { RegistrationRow, RegistrationsRepository } from '../registrations/registrations-repository.js';
import { canSee } from '../registrations/registrations-service.js';
import type { DocumentsRepository, DocumentSummaryRow } from './documents-repository.js';
import { MAX_DOCUMENTS_PER_CASE, type CreateDocument, type DocumentContentType, type DocumentSummaryView, type DocumentWithContentView } from './documents-schemas.js';

/** The first bytes of each accepted type: a declared type the content does not start with is refused. */
const MAGIC: Record<DocumentContentType, Buffer> = {
  'application/pdf': Buffer.from('%PDF-', 'latin1'),
  'image/png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  'image/jpeg': Buffer.from([0xff, 0xd8, 0xff]),
};

export function contentMatches(type: DocumentContentType, content: Buffer): boolean {
  const magic = MAGIC[type];
  return content.length > magic.length && content.subarray(0, magic.length).equals(magic);
}

export interface DocumentsDeps {
  db: Db;
  repo: DocumentsRepository;
  registrations: RegistrationsRepository;
  audit: AuditService;
  pii: PiiCrypto;
  privacy: PrivacyPolicy;
  clock: Clock;
  maxBytes: number;
}

const fieldError = (pointer: string, code: string, message: string) =>
  new AppError('validation_failed', 'The request has 1 invalid field(s); see errors.', { errors: [{ in: 'body', pointer, code, message }] });

export function createDocumentsService(deps: DocumentsDeps) {
  const { db, repo, pii } = deps;

  /**
   * The case, if the caller may read its personal data: scoped like the registration (out of
   * scope is 404), and a municipality whose access ended after the case closed gets 404 too, as
   * the documents are nothing but personal data.
   */
  async function caseFor(principal: Principal, registrationId: string, tx: DbOrTx = db, opts: { forUpdate?: boolean } = {}): Promise<RegistrationRow> {
    const reg = await deps.registrations.get(tx, registrationId, opts);
    if (!reg || !canSee(principal, reg) || deps.privacy.access(principal, reg) === 'withheld') throw notFound('Registration');
    return reg;
  }

  const summary = (d: DocumentSummaryRow): DocumentSummaryView => ({
    id: d.id,
    registrationId: d.registrationId,
    kind: d.kind as DocumentSummaryView['kind'],
    title: pii.decrypt(d.titleCiphertext, bound('registration_documents.title_ciphertext', d.id)),
    contentType: d.contentType as DocumentContentType,
    sizeBytes: d.sizeBytes,
    addedBy: d.addedBy,
    createdAt: d.createdAt.toISOString(),
  });

  return {
    async add(actor: Actor, principal: Principal, registrationId: string, body: CreateDocument): Promise<DocumentSummaryView> {
      // Scope first: to a caller out of scope the case does not exist, whatever it sent.
      await caseFor(principal, registrationId);
      const content = Buffer.from(body.content, 'base64');
      // Buffer.from forgives bad base64; only a value that encodes back to itself is taken.
      if (content.toString('base64') !== body.content) throw fieldError('/content', 'invalid_base64', 'is not canonical base64 (RFC 4648, with padding)');
      if (content.length > deps.maxBytes) throw new AppError('payload_too_large', `A document may be at most ${deps.maxBytes} bytes.`);
      if (!contentMatches(body.contentType, content)) {
        throw fieldError('/content', 'content_type_mismatch', `does not start like a ${body.contentType} file; send PDF, PNG or JPEG with its own type`);
      }
      return db.transaction(async (tx) => {
        // The row lock serialises additions to one case, so the count below holds.
        const reg = await caseFor(principal, registrationId, tx, { forUpdate: true });
        if (reg.pseudonymisedAt) throw new AppError('illegal_transition', 'The case is pseudonymised: its personal data, documents included, has been erased.');
        if ((await repo.count(tx, reg.id)) >= MAX_DOCUMENTS_PER_CASE) {
          throw new AppError('conflict', `A case holds at most ${MAX_DOCUMENTS_PER_CASE} documents.`);
        }
        const id = randomUUID();
        const now = deps.clock.now();
        await repo.insert(tx, {
          id,
          registrationId: reg.id,
          kind: body.kind,
          contentType: body.contentType,
          sizeBytes: content.length,
          titleCiphertext: pii.encrypt(body.title, bound('registration_documents.title_ciphertext', id)),
          contentCiphertext: pii.encrypt(body.content, bound('registration_documents.content_ciphertext', id)),
          addedBy: actor.organisation ?? principal.role,
          addedBySub: principal.sub,
          createdAt: now,
        });
        await deps.audit.record(tx, actor, { action: 'document.create', resourceType: 'document', resourceId: id, registrationId: reg.id, statusCode: 201 });
        return {
          id,
          registrationId: reg.id,
          kind: body.kind,
          title: body.title,
          contentType: body.contentType,
          sizeBytes: content.length,
          addedBy: actor.organisation ?? principal.role,
          createdAt: now.toISOString(),
        };
      });
    },

    /** The case's documents without their content; the titles are personal data, so the read is logged. */
    async list(actor: Actor, principal: Principal, registrationId: string) {
      const reg = await caseFor(principal, registrationId);
      const rows = await repo.list(db, reg.id);
      await deps.audit.record(db, actor, { action: 'registration.read_documents', resourceType: 'registration', resourceId: reg.id, registrationId: reg.id });
      return { items: rows.map(summary) };
    },

    /** One document with its content; every read is logged. */
    async read(actor: Actor, principal: Principal, registrationId: string, documentId: string): Promise<DocumentWithContentView> {
      const reg = await caseFor(principal, registrationId);
      const doc = await repo.get(db, reg.id, documentId);
      if (!doc) throw notFound('Document');
      await deps.audit.record(db, actor, { action: 'document.read', resourceType: 'document', resourceId: doc.id, registrationId: reg.id });
      return { ...summary(doc), content: pii.decrypt(doc.contentCiphertext, bound('registration_documents.content_ciphertext', doc.id)) };
    },
  };
}
export type DocumentsService = ReturnType<typeof createDocumentsService>;
