import { Type, type Static } from 'typebox';
import { StringEnum, Timestamp, Uuid } from '../../http/schemas.js';

export const DOCUMENT_KINDS = ['self_reliance_assessment', 'income', 'housing_history', 'identity', 'other'] as const;
export const DOCUMENT_CONTENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type DocumentContentType = (typeof DOCUMENT_CONTENT_TYPES)[number];
/** Documents per case: a self-reliance assessment and its evidence, not an archive. */
export const MAX_DOCUMENTS_PER_CASE = 50;

const Kind = StringEnum(DOCUMENT_KINDS, 'What the document is; a self-reliance assessment (policy direction D) or its evidence');
const Title = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]+$',
  description: 'A short title or file name (personal data; encrypted at rest)',
});
const ContentType = StringEnum(DOCUMENT_CONTENT_TYPES, 'PDF, PNG or JPEG; checked against the content itself');

/** Base64 (RFC 4648 §4, with padding) of at most `maxBytes` bytes. */
export const createDocumentBody = (maxBytes: number) =>
  Type.Object(
    {
      kind: Kind,
      title: Title,
      contentType: ContentType,
      content: Type.String({
        minLength: 4,
        maxLength: Math.ceil(maxBytes / 3) * 4,
        pattern: '^[A-Za-z0-9+/]+={0,2}$',
        description: `The file, base64-encoded; at most ${maxBytes} bytes before encoding`,
      }),
    },
    { additionalProperties: false },
  );
export type CreateDocument = Static<ReturnType<typeof createDocumentBody>>;

export const DocumentSummary = Type.Object(
  {
    id: Uuid,
    registrationId: Uuid,
    kind: Kind,
    title: Type.String({ maxLength: 200 }),
    contentType: ContentType,
    sizeBytes: Type.Integer({ minimum: 1 }),
    addedBy: Type.String({ maxLength: 10, description: 'GM code of the municipality that added it, or LCP' }),
    createdAt: Timestamp,
  },
  { additionalProperties: false },
);
export type DocumentSummaryView = Static<typeof DocumentSummary>;

export const DocumentWithContent = Type.Object(
  { ...DocumentSummary.properties, content: Type.String({ maxLength: 30_000_000, description: 'The file, base64-encoded' }) },
  { additionalProperties: false },
);
export type DocumentWithContentView = Static<typeof DocumentWithContent>;

export const DocumentList = Type.Object({ items: Type.Array(DocumentSummary, { maxItems: MAX_DOCUMENTS_PER_CASE }) });

export const DocumentParams = Type.Object({ id: Uuid, documentId: Uuid }, { additionalProperties: false });
