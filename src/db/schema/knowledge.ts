import { sql } from "drizzle-orm";
import { index, integer, jsonb, pgTable, real, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, tsvector, updatedAt } from "./columns";
import { contacts } from "./crm";
import { scope } from "./scope";

/**
 * Things the memory has seen named: people, companies, products, amounts, dates, phones, e-mails, tax ids. One row per
 * (project, type, normalised key), so "ACME Ltda." and "acme" are one company. `alias_keys` are the normalised
 * aliases (the same rule as the key: extraction/text.ts), looked up by the graph channel.
 */
export const memoryEntities = pgTable(
  "memory_entities",
  {
    id: id(),
    ...scope(),
    entityType: text("entity_type").notNull(),
    name: text("name").notNull(),
    normalizedKey: text("normalized_key").notNull(),
    aliases: text("aliases").array().notNull().default(sql`'{}'::text[]`),
    aliasKeys: text("alias_keys").array().notNull().default(sql`'{}'::text[]`),
    mentionCount: integer("mention_count").notNull().default(0),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    firstSeenAt: ts("first_seen_at").notNull().defaultNow(),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("memory_entities_key_uq").on(t.projectId, t.entityType, t.normalizedKey),
    index("memory_entities_lookup_idx").on(t.projectId, t.normalizedKey),
    index("memory_entities_alias_idx").using("gin", t.aliasKeys),
    index("memory_entities_search_idx").using("gin", t.normalizedKey.op("gin_trgm_ops")),
  ],
);

/**
 * The knowledge graph, as the design draws it: typed edges between nodes of any kind — a contact, a document, a chunk
 * of memory (`memory_embeddings` row), an entity (its own type: company, product…). One row per (tenant, from, to,
 * relationship): repeated evidence raises `evidence_count`, `relationship_strength` (toward 1) and `last_seen_at`.
 * Nodes are not foreign keys (any table); triggers of migration 0017 delete the edges of deleted nodes.
 */
export const memoryGraph = pgTable(
  "memory_graph",
  {
    id: id(),
    ...scope(),
    nodeFromType: text("node_from_type").notNull(),
    nodeFromId: uuid("node_from_id").notNull(),
    nodeToType: text("node_to_type").notNull(),
    nodeToId: uuid("node_to_id").notNull(),
    relationshipType: text("relationship_type").notNull(),
    relationshipStrength: real("relationship_strength").notNull().default(0),
    evidenceCount: integer("evidence_count").notNull().default(0),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    lastSeenAt: ts("last_seen_at").notNull().defaultNow(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("memory_graph_edge_uq").on(t.tenantId, t.nodeFromType, t.nodeFromId, t.nodeToType, t.nodeToId, t.relationshipType),
    index("memory_graph_from_idx").on(t.projectId, t.nodeFromType, t.nodeFromId),
    index("memory_graph_to_idx").on(t.projectId, t.nodeToType, t.nodeToId),
    index("memory_graph_relationship_idx").on(t.projectId, t.relationshipType),
  ],
);

/**
 * What the memory knows about a contact, with its history. One *current* fact per (tenant, contact, fact_key): the
 * same value seen again raises `source_count` and `confidence`; a different value invalidates the current row
 * (`invalidated_at`, `invalidated_reason`, `superseded_by_id`, the contradicting source) and a new row becomes
 * current — nothing is overwritten.
 */
export const memoryFacts = pgTable(
  "memory_facts",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    factType: text("fact_type").notNull(),
    factText: text("fact_text").notNull(),
    factKey: text("fact_key").notNull(),
    factValue: text("fact_value"),
    confidence: real("confidence").notNull().default(1),
    sourceCount: integer("source_count").notNull().default(1),
    /** Messages, chunks or documents the fact was observed in (a human correction has none). */
    sourceIds: uuid("source_ids").array().notNull().default(sql`'{}'::uuid[]`),
    /** "extracted" (with the extractor's id in `extractor`) or "human". */
    origin: text("origin").notNull().default("extracted"),
    extractor: text("extractor"),
    lastObservedAt: ts("last_observed_at").notNull().defaultNow(),
    validFrom: ts("valid_from").notNull().defaultNow(),
    invalidatedAt: ts("invalidated_at"),
    /** "contradicted" (a new observation), "corrected" or "deleted" (a human). */
    invalidatedReason: text("invalidated_reason"),
    supersededById: uuid("superseded_by_id"),
    contradictingSourceId: uuid("contradicting_source_id"),
    /** Searched by `search_memory`: the statement, its key's words and its value, accents folded, PT + EN stems. */
    factTsv: tsvector("fact_tsv").generatedAlwaysAs(
      sql`to_tsvector('ventros_pt'::regconfig, fact_text || ' ' || replace(fact_key, '.', ' ') || ' ' || coalesce(fact_value, ''))
        || to_tsvector('ventros_en'::regconfig, fact_text || ' ' || replace(fact_key, '.', ' ') || ' ' || coalesce(fact_value, ''))`,
    ),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("memory_facts_current_uq").on(t.tenantId, t.contactId, t.factKey).where(sql`invalidated_at is null`),
    index("memory_facts_contact_idx").on(t.projectId, t.contactId, t.factType),
    index("memory_facts_key_idx").on(t.projectId, t.factKey),
    index("memory_facts_search_idx").using("gin", t.factTsv),
  ],
);
