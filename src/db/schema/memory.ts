import { sql } from "drizzle-orm";
import { bigint, halfvec, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, tsvector, updatedAt } from "./columns";
import { contacts } from "./crm";
import { documentSourceEnum, documentStatusEnum, documentTypeEnum } from "./enums";
import { scope } from "./scope";
import { projects, tenants } from "./tenancy";

export const EMBEDDING_DIMENSIONS = 768;

/** What the full-text columns index: the chunk, preceded by its document's title when it has one. */
const searchedText = sql.raw(`coalesce(metadata->>'document_title' || E'\\n', '') || content_text`);

/** An uploaded (or received) file whose text becomes searchable memory; the original lives in R2 under `storageKey`. */
export const documents = pgTable(
  "documents",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    title: text("title").notNull(),
    documentType: documentTypeEnum("document_type").notNull().default("other"),
    mimeType: text("mime_type").notNull(),
    filename: text("filename"),
    bytes: integer("bytes").notNull(),
    sha256: text("sha256").notNull(),
    pageCount: integer("page_count"),
    chunkCount: integer("chunk_count"),
    source: documentSourceEnum("source").notNull().default("upload"),
    status: documentStatusEnum("status").notNull().default("pending"),
    error: text("error"),
    storageKey: text("storage_key").notNull(),
    /** The model the chunks were embedded with (the project's model at processing time). */
    embeddingModel: text("embedding_model"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    processedAt: ts("processed_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // The same file uploaded twice to a project is one document.
    uniqueIndex("documents_project_sha256_uq").on(t.projectId, t.sha256),
    index("documents_project_idx").on(t.tenantId, t.projectId, t.id),
    index("documents_contact_idx").on(t.projectId, t.contactId),
  ],
);

/**
 * The one store of searchable chunks: document pages, conversation messages, sessions and facts. Two full-text
 * vectors are derived by Postgres itself (migration 0011 defines the configurations): `keyword_tsv` (Portuguese
 * and English stems, accents folded) for the keyword channel, `bm25_tsv` (Portuguese stems, accents folded) whose
 * term statistics the triggers of migration 0013 keep in `memory_bm25_terms` / `memory_project_state`.
 */
export const memoryEmbeddings = pgTable(
  "memory_embeddings",
  {
    id: id(),
    ...scope(),
    documentId: uuid("document_id").references(() => documents.id, { onDelete: "cascade" }),
    // As on documents: a chunk outlives its contact's row (a document's chunks must stay with their document).
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "set null" }),
    sessionId: uuid("session_id"),
    messageId: uuid("message_id"),
    contentType: text("content_type").notNull(),
    contentSubtype: text("content_subtype"),
    contentText: text("content_text").notNull(),
    // A document chunk is searched with its document's title: page 3 of a contract rarely names the company.
    keywordTsv: tsvector("keyword_tsv").generatedAlwaysAs(
      sql`to_tsvector('ventros_pt'::regconfig, ${searchedText}) || to_tsvector('ventros_en'::regconfig, ${searchedText})`,
    ),
    bm25Tsv: tsvector("bm25_tsv").generatedAlwaysAs(sql`to_tsvector('ventros_pt'::regconfig, ${searchedText})`),
    /** Indexed tokens (stop words excluded): BM25's document length. */
    bm25Len: integer("bm25_len").generatedAlwaysAs(sql`ventros_token_count(to_tsvector('ventros_pt'::regconfig, ${searchedText}))`),
    // Half precision: half the bytes of vector(768) for the same ranking (exact recall@10 0.999 on the bench), so the
    // exact-search index below can carry every vector of a project.
    embedding: halfvec("embedding", { dimensions: EMBEDDING_DIMENSIONS }).notNull(),
    /** Vectors from different models are never comparable; every vector query filters on this. */
    embeddingModel: text("embedding_model").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // Approximate search for projects too large to scan (search/channels.ts EXACT_VECTOR_MAX_ROWS).
    index("memory_embeddings_hnsw_idx").using("hnsw", t.embedding.op("halfvec_cosine_ops")).with({ m: 16, ef_construction: 64 }),
    // Exact search for the others, as an index-only scan: a project's vectors read without touching the table. A
    // filtered HNSW scan over a project holding 5 % of the rows found 0.83 of the true top 10 at 100k; this, 0.999.
    index("memory_embeddings_exact_idx").on(t.tenantId, t.projectId, t.embeddingModel, t.id, t.embedding),
    // project_id first (btree_gin, migration 0016): the word channels' candidates come from one index scan of the
    // project's own postings instead of filtering every chunk of the project.
    index("memory_embeddings_keyword_idx").using("gin", t.projectId, t.keywordTsv),
    index("memory_embeddings_bm25_idx").using("gin", t.projectId, t.bm25Tsv),
    index("memory_embeddings_metadata_idx").using("gin", t.metadata.op("jsonb_path_ops")),
    index("memory_embeddings_scope_idx").on(t.tenantId, t.projectId, t.contentType),
    index("memory_embeddings_contact_idx").on(t.projectId, t.contactId, t.createdAt),
    index("memory_embeddings_session_idx").on(t.projectId, t.sessionId),
    index("memory_embeddings_document_idx").on(t.documentId),
    // A message is embedded once, however often its event is delivered.
    uniqueIndex("memory_embeddings_message_uq").on(t.messageId).where(sql`content_type = 'message'`),
  ],
);

/** BM25 document frequency per stemmed term and project, kept by triggers on memory_embeddings (migration 0013). */
export const memoryBm25Terms = pgTable(
  "memory_bm25_terms",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    tenantId: uuid("tenant_id")
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    term: text("term").notNull(),
    df: integer("df").notNull(),
  },
  (t) => [uniqueIndex("memory_bm25_terms_pk").on(t.projectId, t.term)],
);

/** Per-project memory state: BM25 corpus size and total length (kept by triggers), and the project's vector model. */
export const memoryProjectState = pgTable("memory_project_state", {
  projectId: uuid("project_id")
    .primaryKey()
    .references(() => projects.id, { onDelete: "cascade" }),
  tenantId: uuid("tenant_id")
    .notNull()
    .references(() => tenants.id, { onDelete: "cascade" }),
  bm25Docs: integer("bm25_docs").notNull().default(0),
  bm25TotalLen: bigint("bm25_total_len", { mode: "number" }).notNull().default(0),
  /** The model every vector of the project was embedded with, once `memory.reembed` has moved them all. */
  embeddingModel: text("embedding_model"),
  updatedAt: updatedAt(),
});
