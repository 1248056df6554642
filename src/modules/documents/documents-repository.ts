import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.js';
import { registrationDocuments } from '../../db/schema/index.js';

export type DocumentRow = typeof registrationDocuments.$inferSelect;

/** Every column but the content: lists never load the files. */
const summaryColumns = {
  id: registrationDocuments.id,
  registrationId: registrationDocuments.registrationId,
  kind: registrationDocuments.kind,
  contentType: registrationDocuments.contentType,
  sizeBytes: registrationDocuments.sizeBytes,
  titleCiphertext: registrationDocuments.titleCiphertext,
  addedBy: registrationDocuments.addedBy,
  addedBySub: registrationDocuments.addedBySub,
  createdAt: registrationDocuments.createdAt,
};
export type DocumentSummaryRow = Omit<DocumentRow, 'contentCiphertext'>;

export function createDocumentsRepository() {
  return {
    async insert(tx: DbOrTx, row: typeof registrationDocuments.$inferInsert) {
      await tx.insert(registrationDocuments).values(row);
    },

    async count(tx: DbOrTx, registrationId: string): Promise<number> {
      const [row] = await tx.select({ n: sql<number>`count(*)::int` }).from(registrationDocuments).where(eq(registrationDocuments.registrationId, registrationId));
      return row?.n ?? 0;
    },

    async list(tx: DbOrTx, registrationId: string): Promise<DocumentSummaryRow[]> {
      return tx.select(summaryColumns).from(registrationDocuments).where(eq(registrationDocuments.registrationId, registrationId)).orderBy(asc(registrationDocuments.createdAt), asc(registrationDocuments.id));
    },

    async get(tx: DbOrTx, registrationId: string, id: string): Promise<DocumentRow | undefined> {
      const [row] = await tx.select().from(registrationDocuments).where(and(eq(registrationDocuments.registrationId, registrationId), eq(registrationDocuments.id, id)));
      return row;
    },
  };
}
export type DocumentsRepository = ReturnType<typeof createDocumentsRepository>;
