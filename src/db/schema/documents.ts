import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { registrations } from './registrations.js';

/**
 * Case documents (policy direction D: what a municipality needs to assess self-reliance). The
 * title and the whole content are encrypted at rest, each bound to its row; the rows go when the
 * case is pseudonymised.
 */
export const registrationDocuments = pgTable(
  'registration_documents',
  {
    id: uuid('id').primaryKey(),
    registrationId: uuid('registration_id').notNull().references(() => registrations.id),
    kind: text('kind').notNull(),
    /** Checked against the content's first bytes, not only taken from the client. */
    contentType: text('content_type').notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    titleCiphertext: text('title_ciphertext').notNull(),
    /** The base64 of the file, encrypted. */
    contentCiphertext: text('content_ciphertext').notNull(),
    /** The organisation that added it (GM code, or LCP for the coordinator) and its client. */
    addedBy: text('added_by').notNull(),
    addedBySub: text('added_by_sub').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
  },
  (t) => [index('registration_documents_registration_idx').on(t.registrationId, t.createdAt)],
);
