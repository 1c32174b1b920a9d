import { sql } from "drizzle-orm";
import { index, jsonb, pgTable, real, text, uuid, vector } from "drizzle-orm/pg-core";
import { createdAt, id, ts, tsvector, updatedAt } from "./columns";
import { contacts } from "./crm";
import { scope } from "./scope";

export const EMBEDDING_DIMENSIONS = 768;

export const memoryEmbeddings = pgTable(
  "memory_embeddings",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id"),
    messageId: uuid("message_id"),
    contentType: text("content_type").notNull(),
    contentSubtype: text("content_subtype"),
    contentText: text("content_text").notNull(),
    // 'simple' keeps the index language-neutral: conversations mix Portuguese, Spanish and English.
    contentTsv: tsvector("content_tsv").generatedAlwaysAs(sql`to_tsvector('simple', coalesce(content_text, ''))`),
    embedding: vector("embedding", { dimensions: EMBEDDING_DIMENSIONS }),
    /** Vectors from different models are never comparable; every query filters on this. */
    embeddingModel: text("embedding_model").notNull(),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("memory_embeddings_hnsw_idx").using("hnsw", t.embedding.op("vector_cosine_ops")).with({ m: 16, ef_construction: 64 }),
    index("memory_embeddings_tsv_idx").using("gin", t.contentTsv),
    index("memory_embeddings_scope_idx").on(t.tenantId, t.projectId, t.contentType),
    index("memory_embeddings_contact_idx").on(t.contactId, t.createdAt),
  ],
);

export const memoryFacts = pgTable(
  "memory_facts",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id").references(() => contacts.id, { onDelete: "cascade" }),
    factType: text("fact_type").notNull(),
    subject: text("subject").notNull(),
    predicate: text("predicate").notNull(),
    object: text("object").notNull(),
    confidence: real("confidence").notNull().default(1),
    sourceMessageId: uuid("source_message_id"),
    sourceEmbeddingId: uuid("source_embedding_id"),
    validFrom: ts("valid_from"),
    validUntil: ts("valid_until"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("memory_facts_contact_idx").on(t.tenantId, t.projectId, t.contactId, t.factType)],
);

/** Knowledge graph edges between any two entities (contact, message, document, fact, topic…). */
export const memoryGraph = pgTable(
  "memory_graph",
  {
    id: id(),
    ...scope(),
    sourceType: text("source_type").notNull(),
    sourceId: text("source_id").notNull(),
    relation: text("relation").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    weight: real("weight").notNull().default(1),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
  },
  (t) => [
    index("memory_graph_source_idx").on(t.projectId, t.sourceType, t.sourceId),
    index("memory_graph_target_idx").on(t.projectId, t.targetType, t.targetId),
  ],
);
