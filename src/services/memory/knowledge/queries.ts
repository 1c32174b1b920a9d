import { and, desc, eq, type SQL, sql } from "drizzle-orm";
import { schema } from "../../../db";
import type { ServiceContext } from "../../context";
import { findScoped } from "../../shared/crud";
import { inScope } from "../../shared/scope";
import { extractWithRules } from "../extraction/rules";
import { fold, nameKey, words } from "../extraction/text";

const en = schema.memoryEntities;

/**
 * The keys a name or value given by a person or an agent may be stored under — the extraction's own normalisation,
 * so "ACME S.A.", "Acmé" and "acme ltda" all find the company keyed "acme", and "R$ 10 mil" finds "BRL 10000.00":
 * the folded words, the company key (legal suffix dropped) and the key of whatever the rules recognise in it
 * (amounts, dates, e-mails, phones, CPF/CNPJ).
 */
export function lookupKeys(text: string): string[] {
  const keys = new Set<string>();
  const folded = words(fold(text)).join(" ");
  if (folded) keys.add(folded);
  const company = nameKey("company", text);
  if (company) keys.add(company);
  for (const x of extractWithRules({ text, speaker: "document" }).entities) keys.add(x.key);
  return [...keys].slice(0, 50);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const textArray = (values: string[]) => sql`array(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;

/** Entities whose key or an alias's key is one of the text's keys (or whose id it is). */
function keyMatch(text: string): SQL {
  const keys = textArray(lookupKeys(text));
  const byId = UUID.test(text.trim()) ? sql` or ${en.id} = ${text.trim()}::uuid` : sql``;
  return sql`(${en.normalizedKey} = any(${keys}) or ${en.aliasKeys} && ${keys}${byId})`;
}

const entityColumns = {
  id: en.id,
  entityType: en.entityType,
  name: en.name,
  normalizedKey: en.normalizedKey,
  aliases: en.aliases,
  mentionCount: en.mentionCount,
  firstSeenAt: en.firstSeenAt,
  lastSeenAt: en.lastSeenAt,
};

/**
 * The project's entities, most mentioned first; with `q`, those named so — by key or alias exactly (the extraction's
 * normalisation), or by a similar key (trigram index) — exact matches first, then by similarity.
 */
export async function listEntities(ctx: ServiceContext, q: { q?: string; type?: string; limit: number }) {
  const folded = q.q ? words(fold(q.q)).join(" ") : "";
  const typed = q.type ? eq(en.entityType, q.type) : undefined;
  // A `q` with no word in it (only symbols or emoji) names nothing: no results, not the whole list.
  if (q.q && !folded) return [];
  if (!q.q) {
    return ctx.db.query
      .select(entityColumns)
      .from(en)
      .where(inScope(en, ctx.principal, typed))
      .orderBy(desc(en.mentionCount), desc(en.lastSeenAt), desc(en.id))
      .limit(q.limit);
  }
  const exact = keyMatch(q.q);
  return ctx.db.query
    .select(entityColumns)
    .from(en)
    .where(
      inScope(en, ctx.principal, typed, sql`(${exact} or ${en.normalizedKey} like ${`%${folded}%`} or ${en.normalizedKey} % ${folded})`),
    )
    .orderBy(sql`(${exact}) desc`, sql`similarity(${en.normalizedKey}, ${folded}) desc`, desc(en.mentionCount), desc(en.id))
    .limit(q.limit);
}

export type EntityOut = Awaited<ReturnType<typeof listEntities>>[number];

/** Edges read per level of the neighbourhood: the strongest first. */
const FIRST_LEVEL_EDGES = 50;

type EdgeRow = {
  id: string;
  node_from_type: string;
  node_from_id: string;
  node_to_type: string;
  node_to_id: string;
  relationship_type: string;
  relationship_strength: number;
  evidence_count: number;
  metadata: Record<string, unknown>;
  last_seen_at: string;
  depth: number;
};

/**
 * An entity's neighbourhood: the edges touching it (depth 1, the strongest FIRST_LEVEL_EDGES) and the edges touching
 * those neighbours (depth 2), at most `limit` edges in all — one statement — then the nodes' labels (entity names,
 * contact names, document titles, passages) in a second.
 */
export async function entityGraph(ctx: ServiceContext, entityId: string, q: { depth: number; limit: number }) {
  const entity = await findScoped(ctx, en, entityId, "Entity");
  const p = ctx.principal;
  const scope = sql`g.tenant_id = ${p.tenantId}::uuid and g.project_id = ${p.projectId}::uuid`;
  const cols = sql`g.id, g.node_from_type, g.node_from_id, g.node_to_type, g.node_to_id, g.relationship_type,
    g.relationship_strength::float8 as relationship_strength, g.evidence_count, g.metadata, g.last_seen_at::text as last_seen_at`;
  const first = Math.min(FIRST_LEVEL_EDGES, q.limit);
  const { rows } = await ctx.db.query.execute<EdgeRow>(sql`
    with e1 as (
      select * from (
        select ${cols}, 1 as depth from memory_graph g
        where ${scope} and g.node_to_type = ${entity.entityType} and g.node_to_id = ${entity.id}::uuid
        union all
        select ${cols}, 1 as depth from memory_graph g
        where ${scope} and g.node_from_type = ${entity.entityType} and g.node_from_id = ${entity.id}::uuid) x
      order by relationship_strength desc, evidence_count desc, id limit ${first}::int
    ), n1 as (
      select distinct case when node_to_id = ${entity.id}::uuid then node_from_type else node_to_type end as type,
                      case when node_to_id = ${entity.id}::uuid then node_from_id else node_to_id end as id
      from e1
    ), e2 as (
      select * from (
        select ${cols}, 2 as depth from memory_graph g join n1 on g.node_from_type = n1.type and g.node_from_id = n1.id where ${scope}
        union
        select ${cols}, 2 as depth from memory_graph g join n1 on g.node_to_type = n1.type and g.node_to_id = n1.id where ${scope}) x
      where ${q.depth}::int >= 2 and x.id not in (select id from e1)
      order by relationship_strength desc, evidence_count desc, id limit ${Math.max(0, q.limit - first)}::int
    )
    select * from e1 union all select * from e2 order by depth, relationship_strength desc, id`);
  const nodes = new Map<string, { type: string; id: string; depth: number }>();
  nodes.set(`${entity.entityType}:${entity.id}`, { type: entity.entityType, id: entity.id, depth: 0 });
  for (const r of rows) {
    for (const [type, id] of [
      [r.node_from_type, r.node_from_id],
      [r.node_to_type, r.node_to_id],
    ] as const) {
      const k = `${type}:${id}`;
      const prev = nodes.get(k);
      if (!prev || prev.depth > r.depth) nodes.set(k, { type, id, depth: prev ? Math.min(prev.depth, r.depth) : r.depth });
    }
  }
  const labels = await nodeLabels(ctx, [...nodes.values()]);
  return {
    entity: { ...pick(entity) },
    nodes: [...nodes.values()].map((n) => ({ ...n, label: labels.get(`${n.type}:${n.id}`) ?? null })),
    edges: rows.map((r) => ({
      id: r.id,
      fromType: r.node_from_type,
      fromId: r.node_from_id,
      toType: r.node_to_type,
      toId: r.node_to_id,
      relationshipType: r.relationship_type,
      strength: Number(r.relationship_strength),
      evidenceCount: Number(r.evidence_count),
      metadata: r.metadata ?? {},
      lastSeenAt: new Date(r.last_seen_at),
      depth: Number(r.depth),
    })),
  };
}

const pick = (e: typeof en.$inferSelect): EntityOut => ({
  id: e.id,
  entityType: e.entityType,
  name: e.name,
  normalizedKey: e.normalizedKey,
  aliases: e.aliases,
  mentionCount: e.mentionCount,
  firstSeenAt: e.firstSeenAt,
  lastSeenAt: e.lastSeenAt,
});

/** What a person reads for a node: an entity's or contact's name, a document's title, a passage's first words. */
async function nodeLabels(ctx: ServiceContext, nodes: { type: string; id: string }[]) {
  const labels = new Map<string, string>();
  if (!nodes.length) return labels;
  const p = ctx.principal;
  const input = JSON.stringify(nodes.map((n) => ({ type: n.type, id: n.id })));
  const { rows } = await ctx.db.query.execute<{ type: string; id: string; label: string | null }>(sql`
    select n.type, n.id::text, case n.type
      when 'contact' then (select coalesce(c.name, c.phone, c.email) from contacts c
                           where c.id = n.id and c.tenant_id = ${p.tenantId}::uuid and c.project_id = ${p.projectId}::uuid
                             and c.deleted_at is null)
      when 'document' then (select d.title from documents d
                            where d.id = n.id and d.tenant_id = ${p.tenantId}::uuid and d.project_id = ${p.projectId}::uuid)
      when 'chunk' then (select left(coalesce(m.metadata->>'document_title' || ': ', '') || m.content_text, 120) from memory_embeddings m
                         where m.id = n.id and m.tenant_id = ${p.tenantId}::uuid and m.project_id = ${p.projectId}::uuid)
      when 'message' then (select left(ms.body, 120) from messages ms
                           where ms.id = n.id and ms.tenant_id = ${p.tenantId}::uuid and ms.project_id = ${p.projectId}::uuid)
      else (select x.name from memory_entities x
            where x.id = n.id and x.tenant_id = ${p.tenantId}::uuid and x.project_id = ${p.projectId}::uuid)
    end as label
    from jsonb_to_recordset(${input}::jsonb) as n(type text, id uuid)`);
  for (const r of rows) if (r.label) labels.set(`${r.type}:${r.id}`, r.label);
  return labels;
}

type ReferenceRow = {
  document_id: string;
  entity_id: string;
  strength: number;
  evidence: number;
  pages: unknown;
  last_seen_at: string;
  title: string;
  document_type: string;
};

/** Edges read to answer one reference question. */
const MAX_REFERENCE_EDGES = 1000;

/**
 * Every document (with its pages) that mentions the entity named `entity` — by name, alias or normalised key, or by
 * its id — strongest first. Two statements in one round trip: the matching entities, and their documents' edges.
 */
export async function documentReferences(ctx: ServiceContext, entity: string, limit: number) {
  const match = keyMatch(entity);
  const p = ctx.principal;
  const [matches, edges] = await ctx.db.batch([
    ctx.db.query
      .select(entityColumns)
      .from(en)
      .where(inScope(en, p, match))
      .orderBy(desc(en.mentionCount), desc(en.id))
      .limit(50),
    ctx.db.query.execute<ReferenceRow>(sql`
      select g.node_from_id::text as document_id, g.node_to_id::text as entity_id, g.relationship_strength::float8 as strength,
             g.evidence_count as evidence, g.metadata->'pages' as pages, g.last_seen_at::text as last_seen_at,
             d.title, d.document_type::text as document_type
      from ${en}
      join memory_graph g on g.tenant_id = ${p.tenantId}::uuid and g.project_id = ${p.projectId}::uuid
        and g.node_to_type = ${en.entityType} and g.node_to_id = ${en.id}
        and g.node_from_type = 'document' and g.relationship_type = 'mentions'
      join documents d on d.id = g.node_from_id and d.tenant_id = ${p.tenantId}::uuid and d.project_id = ${p.projectId}::uuid
      where ${and(eq(en.tenantId, p.tenantId), eq(en.projectId, p.projectId), match)}
      order by g.relationship_strength desc, g.id
      limit ${MAX_REFERENCE_EDGES}::int`),
  ] as const);
  const docs = new Map<
    string,
    {
      documentId: string;
      title: string;
      documentType: string;
      pages: Set<number>;
      mentions: number;
      strength: number;
      entityIds: Set<string>;
      lastSeenAt: Date;
    }
  >();
  for (const r of (edges as unknown as { rows: ReferenceRow[] }).rows) {
    const doc = docs.get(r.document_id) ?? {
      documentId: r.document_id,
      title: r.title,
      documentType: r.document_type,
      pages: new Set<number>(),
      mentions: 0,
      strength: 0,
      entityIds: new Set<string>(),
      lastSeenAt: new Date(r.last_seen_at),
    };
    const pages = typeof r.pages === "string" ? JSON.parse(r.pages) : r.pages;
    if (Array.isArray(pages)) for (const page of pages) if (Number.isInteger(page)) doc.pages.add(page);
    doc.mentions += Number(r.evidence);
    doc.strength = Math.max(doc.strength, Number(r.strength));
    doc.entityIds.add(r.entity_id);
    const seen = new Date(r.last_seen_at);
    if (seen > doc.lastSeenAt) doc.lastSeenAt = seen;
    docs.set(r.document_id, doc);
  }
  const documents = [...docs.values()]
    .sort((a, b) => b.strength - a.strength || b.mentions - a.mentions || a.documentId.localeCompare(b.documentId))
    .slice(0, limit)
    .map((d) => ({ ...d, pages: [...d.pages].sort((x, y) => x - y), entityIds: [...d.entityIds] }));
  return { entity, matches, documents, total: documents.length };
}
