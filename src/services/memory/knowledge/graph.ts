import { type SQL, sql } from "drizzle-orm";
import type { ServiceContext } from "../../context";
import { fold, nameKey } from "../extraction/text";
import type { EntityType, ExtractedEntity } from "../extraction/types";
import { MAX_SOURCE_IDS, reinforceSql } from "./evidence";

/**
 * Writes of the knowledge graph, as statements to run in one batch (one transaction, one round trip): entities are
 * upserted per (project, type, key), edges per (tenant, from, to, relationship) — never a statement per row, never a
 * duplicate row. Edges name their entity end by (type, key) and find its id in the same transaction, so a message's
 * whole extraction is written without reading anything back first.
 *
 * Node types: "contact", "document", "chunk" (a `memory_embeddings` row: a document's chunk or an embedded message),
 * "message" (a message without an embedding: outbound and agent messages), and entities by their own type.
 */

type Scope = { tenantId: string; projectId: string };
const scopeOf = (ctx: ServiceContext): Scope => ({ tenantId: ctx.principal.tenantId, projectId: ctx.principal.projectId });

/** Types whose keys are names (accent-folded words), so their aliases have keys of their own. */
const NAMED: ReadonlySet<EntityType> = new Set(["person", "company", "product", "contact", "document"]);
/** Aliases an entity keeps (the first spellings seen besides its name). */
const MAX_ALIASES = 20;

export interface EntityRow {
  type: EntityType;
  key: string;
  name: string;
  /** Other spellings seen for it ("ACME", "R$ 10 mil"). */
  aliases: string[];
}

/** One row per (type, key), the first name kept, every other spelling an alias. */
export function entityRows(entities: ExtractedEntity[]): EntityRow[] {
  const rows = new Map<string, EntityRow>();
  for (const e of entities) {
    if (!e.key || !e.name) continue;
    const id = `${e.type}\u0000${e.key}`;
    const row = rows.get(id) ?? { type: e.type, key: e.key, name: e.name.slice(0, 300), aliases: [] };
    const spelling = e.text?.trim().slice(0, 300);
    if (spelling && fold(spelling) !== fold(row.name) && !row.aliases.some((a) => fold(a) === fold(spelling))) {
      if (row.aliases.length < MAX_ALIASES) row.aliases.push(spelling);
    }
    rows.set(id, row);
  }
  // One order for every writer, so two concurrent upserts of the same entities lock them in the same order.
  return [...rows.values()].sort((a, b) => byKey(a.type, a.key, b.type, b.key));
}

const byKey = (t1: string, k1: string, t2: string, k2: string) => (t1 < t2 ? -1 : t1 > t2 ? 1 : k1 < k2 ? -1 : k1 > k2 ? 1 : 0);

const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

/** An array's elements, first occurrence first, at most `max` (SQL: for merging aliases and sources). */
const mergedArray = (existing: SQL, added: SQL, max: number) =>
  sql`array(select a from unnest(${existing} || ${added}) with ordinality u(a, n) group by a order by min(n) limit ${max}::int)`;

/**
 * Upserts entities: new ones with `mention_count` 0 (mentions are counted by the edges that record them, so a
 * redelivered extraction cannot count twice), existing ones keep their first name and gain the new aliases and
 * their keys. `seenAt` moves `last_seen_at` forward only.
 */
export function upsertEntities(ctx: ServiceContext, rows: EntityRow[], seenAt: Date): SQL | null {
  if (!rows.length) return null;
  const s = scopeOf(ctx);
  const input = rows.map((r) => ({
    type: r.type,
    key: r.key,
    name: r.name,
    aliases: r.aliases,
    alias_keys: NAMED.has(r.type) ? [...new Set(r.aliases.map((a) => nameKey(r.type, a)).filter((k) => k && k !== r.key))] : [],
  }));
  return sql`
    insert into memory_entities as m (id, tenant_id, project_id, entity_type, name, normalized_key, aliases, alias_keys,
                                      mention_count, first_seen_at, last_seen_at)
    select ventros_uuidv7(), ${s.tenantId}::uuid, ${s.projectId}::uuid, i.type, i.name, i.key,
           array(select jsonb_array_elements_text(i.aliases)), array(select jsonb_array_elements_text(i.alias_keys)),
           0, ${seenAt.toISOString()}::timestamptz, ${seenAt.toISOString()}::timestamptz
    from jsonb_to_recordset(${json(input)}) as i(type text, key text, name text, aliases jsonb, alias_keys jsonb)
    on conflict (project_id, entity_type, normalized_key) do update set
      aliases = ${mergedArray(sql`m.aliases`, sql`excluded.aliases`, MAX_ALIASES)},
      alias_keys = ${mergedArray(sql`m.alias_keys`, sql`excluded.alias_keys`, MAX_ALIASES)},
      last_seen_at = greatest(m.last_seen_at, excluded.last_seen_at),
      updated_at = now()`;
}

export interface MentionEdge {
  /** "chunk" or "message". */
  fromType: "chunk" | "message";
  fromId: string;
  entityType: EntityType;
  entityKey: string;
  confidence: number;
  metadata?: Record<string, unknown>;
}

/** The entity an edge input names, joined by (type, key) in the caller's project. */
const entityJoin = (s: Scope) =>
  sql`join memory_entities en on en.tenant_id = ${s.tenantId}::uuid and en.project_id = ${s.projectId}::uuid
        and en.entity_type = i.to_type and en.normalized_key = i.to_key`;

/**
 * A chunk's (or message's) mentions of entities: the source is the node itself, so an edge is one piece of evidence
 * written once — a re-extraction of the same chunk finds it and changes nothing. Each edge this statement creates
 * counts one mention on its entity.
 */
export function insertMentions(ctx: ServiceContext, edges: MentionEdge[], seenAt: Date): SQL | null {
  if (!edges.length) return null;
  const s = scopeOf(ctx);
  const unique = new Map<string, MentionEdge>();
  for (const e of edges) {
    const id = `${e.fromType}\u0000${e.fromId}\u0000${e.entityType}\u0000${e.entityKey}`;
    const prev = unique.get(id);
    if (!prev || prev.confidence < e.confidence) unique.set(id, e);
  }
  const input = [...unique.values()].map((e) => ({
    from_type: e.fromType,
    from_id: e.fromId,
    to_type: e.entityType,
    to_key: e.entityKey,
    strength: e.confidence,
    metadata: e.metadata ?? {},
  }));
  return sql`
    with i as (
      select * from jsonb_to_recordset(${json(input)}) as i(from_type text, from_id uuid, to_type text, to_key text, strength real,
                                                          metadata jsonb)
    ), ins as (
      insert into memory_graph (id, tenant_id, project_id, node_from_type, node_from_id, node_to_type, node_to_id, relationship_type,
                                relationship_strength, evidence_count, metadata, last_seen_at)
      select ventros_uuidv7(), ${s.tenantId}::uuid, ${s.projectId}::uuid, i.from_type, i.from_id, en.entity_type, en.id, 'mentions',
             least(1, greatest(0, i.strength)), 1, i.metadata, ${seenAt.toISOString()}::timestamptz
      from i ${entityJoin(s)}
      on conflict (tenant_id, node_from_type, node_from_id, node_to_type, node_to_id, relationship_type) do nothing
      returning node_to_id)
    update memory_entities en set mention_count = en.mention_count + c.n, updated_at = now()
    from (select node_to_id, count(*)::int as n from ins group by node_to_id) c
    where en.id = c.node_to_id and en.tenant_id = ${s.tenantId}::uuid`;
}

export interface EvidenceEdge {
  fromType: string;
  fromId: string;
  relationship: string;
  entityType: EntityType;
  entityKey: string;
  confidence: number;
  /** The message (or chunk) this observation comes from: evidence is counted once per source. */
  sourceId: string;
}

/**
 * Edges that grow with evidence from many sources (a contact's works_at, interested_in, bought): a new edge starts at
 * the observation's confidence; each further source adds one to `evidence_count` and reinforces the strength
 * (evidence.ts); a source already recorded in `metadata.sources` (the last MAX_SOURCE_IDS) changes nothing, so a
 * redelivery or a concurrent run of the same extraction does not strengthen it twice.
 */
export function upsertEvidence(ctx: ServiceContext, edges: EvidenceEdge[], seenAt: Date): SQL | null {
  if (!edges.length) return null;
  const s = scopeOf(ctx);
  const unique = new Map<string, EvidenceEdge>();
  for (const e of edges) {
    const id = [e.fromType, e.fromId, e.relationship, e.entityType, e.entityKey, e.sourceId].join("\u0000");
    const prev = unique.get(id);
    if (!prev || prev.confidence < e.confidence) unique.set(id, e);
  }
  const input = [...unique.values()].map((e) => ({
    from_type: e.fromType,
    from_id: e.fromId,
    rel: e.relationship,
    to_type: e.entityType,
    to_key: e.entityKey,
    strength: e.confidence,
    source: e.sourceId,
  }));
  const g = sql.raw("g");
  return sql`
    insert into memory_graph as g (id, tenant_id, project_id, node_from_type, node_from_id, node_to_type, node_to_id, relationship_type,
                                   relationship_strength, evidence_count, metadata, last_seen_at)
    select ventros_uuidv7(), ${s.tenantId}::uuid, ${s.projectId}::uuid, i.from_type, i.from_id, en.entity_type, en.id, i.rel,
           least(1, greatest(0, i.strength)), 1, jsonb_build_object('sources', jsonb_build_array(i.source)),
           ${seenAt.toISOString()}::timestamptz
    from jsonb_to_recordset(${json(input)}) as i(from_type text, from_id uuid, rel text, to_type text, to_key text, strength real,
                                                 source text)
    ${entityJoin(s)}
    on conflict (tenant_id, node_from_type, node_from_id, node_to_type, node_to_id, relationship_type) do update set
      evidence_count = ${g}.evidence_count + 1,
      relationship_strength = ${reinforceSql(sql`${g}.relationship_strength`, sql`excluded.relationship_strength`)},
      last_seen_at = greatest(${g}.last_seen_at, excluded.last_seen_at),
      metadata = jsonb_set(${g}.metadata, '{sources}', (
        select coalesce(jsonb_agg(x order by n), '[]'::jsonb) from (
          select x, n from jsonb_array_elements(coalesce(${g}.metadata->'sources', '[]'::jsonb) || (excluded.metadata->'sources'))
            with ordinality t(x, n) order by n desc limit ${MAX_SOURCE_IDS}::int) kept)),
      updated_at = now()
    where not (coalesce(${g}.metadata->'sources', '[]'::jsonb) ? (excluded.metadata->'sources'->>0))`;
}

export interface DocumentMention {
  documentId: string;
  entityType: EntityType;
  entityKey: string;
  /** Combined over the chunks that mention it (evidence.ts `combine`). */
  strength: number;
  /** Chunks of the document that mention it. */
  evidence: number;
  pages: number[];
}

/**
 * A document's mentions of entities, aggregated over its chunks and written whole: strength, evidence and pages are
 * recomputed from the document's chunks each time, so re-extracting a document (a redelivery, a re-upload after a
 * failure) gives the same edge rather than a stronger one.
 */
export function replaceDocumentMentions(ctx: ServiceContext, mentions: DocumentMention[], seenAt: Date): SQL | null {
  if (!mentions.length) return null;
  const s = scopeOf(ctx);
  const input = mentions.map((m) => ({
    from_id: m.documentId,
    to_type: m.entityType,
    to_key: m.entityKey,
    strength: m.strength,
    evidence: m.evidence,
    pages: m.pages,
  }));
  return sql`
    insert into memory_graph as g (id, tenant_id, project_id, node_from_type, node_from_id, node_to_type, node_to_id, relationship_type,
                                   relationship_strength, evidence_count, metadata, last_seen_at)
    select ventros_uuidv7(), ${s.tenantId}::uuid, ${s.projectId}::uuid, 'document', i.from_id, en.entity_type, en.id, 'mentions',
           least(1, greatest(0, i.strength)), i.evidence, jsonb_build_object('pages', i.pages), ${seenAt.toISOString()}::timestamptz
    from jsonb_to_recordset(${json(input)}) as i(from_id uuid, to_type text, to_key text, strength real, evidence int, pages jsonb)
    ${entityJoin(s)}
    on conflict (tenant_id, node_from_type, node_from_id, node_to_type, node_to_id, relationship_type) do update set
      relationship_strength = excluded.relationship_strength,
      evidence_count = excluded.evidence_count,
      metadata = g.metadata || excluded.metadata,
      last_seen_at = excluded.last_seen_at,
      updated_at = now()`;
}
