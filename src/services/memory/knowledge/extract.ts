import { desc, eq, inArray, sql } from "drizzle-orm";
import { schema } from "../../../db";
import type { ServiceContext } from "../../context";
import { inScope } from "../../shared/scope";
import type { Extraction, Extractor, KnownName } from "../extraction/types";
import { combine } from "./evidence";
import { observeFacts } from "./facts";
import {
  type DocumentMention,
  type EvidenceEdge,
  entityRows,
  insertMentions,
  type MentionEdge,
  replaceDocumentMentions,
  upsertEntities,
  upsertEvidence,
} from "./graph";

/**
 * The queue's knowledge work: run the configured extractor over a message (`message.created`, `message.edited`) or
 * over a ready document's chunks (`document.status_changed` → ready) and store what it found — entities, mention
 * edges from the chunk (or message) and the document, the contact's relations, and the contact's facts with the
 * message as their source. Safe to run any number of times on the same input (evidence is keyed by its source:
 * graph.ts, facts.ts).
 */

/** The project's names the extractor looks for, most mentioned first. */
const MAX_KNOWN_NAMES = 500;

const en = schema.memoryEntities;
const e = schema.memoryEmbeddings;

function knownNamesQuery(ctx: ServiceContext) {
  return ctx.db.query
    .select({ type: en.entityType, name: en.name, aliases: en.aliases })
    .from(en)
    .where(inScope(en, ctx.principal, inArray(en.entityType, ["company", "product", "person"])))
    .orderBy(desc(en.mentionCount), desc(en.lastSeenAt))
    .limit(MAX_KNOWN_NAMES);
}

const asKnown = (rows: { type: string; name: string; aliases: string[] }[]): KnownName[] =>
  rows.map((r) => ({ type: r.type as KnownName["type"], name: r.name, aliases: r.aliases }));

type Batchable = Parameters<ServiceContext["db"]["batch"]>[0][number];

async function runAll(ctx: ServiceContext, statements: (ReturnType<typeof sql> | null)[]) {
  const queries = statements.filter((s) => s !== null).map((s) => ctx.db.query.execute(s) as unknown as Batchable);
  if (queries.length) await ctx.db.batch(queries as never);
}

export type KnowledgeOutcome =
  | { outcome: "skipped"; reason: string }
  | { outcome: "extracted"; entities: number; mentions: number; relations: number; facts: number };

/**
 * A message's knowledge. The contact's own words (inbound) give entities, relations and facts about the contact; an
 * agent's (outbound) only entities. Mentions hang from the message's embedding (`chunk`) when it has one — the
 * memory handler embeds inbound text first — and from the message itself otherwise.
 */
export async function extractMessageKnowledge(ctx: ServiceContext, extractor: Extractor, messageId: string): Promise<KnowledgeOutcome> {
  const m = schema.messages;
  const c = schema.contacts;
  const [messages, chunks, known] = await ctx.db.batch([
    ctx.db.query
      .select({
        id: m.id,
        contactId: m.contactId,
        direction: m.direction,
        contentType: m.contentType,
        body: m.body,
        revokedAt: m.revokedAt,
        createdAt: m.createdAt,
        contactLive: sql<boolean>`exists (select 1 from ${c} where ${c.id} = ${m.contactId} and ${c.deletedAt} is null)`,
      })
      .from(m)
      .where(inScope(m, ctx.principal, eq(m.id, messageId))),
    ctx.db.query
      .select({ id: e.id })
      .from(e)
      .where(inScope(e, ctx.principal, eq(e.messageId, messageId), eq(e.contentType, "message"))),
    knownNamesQuery(ctx),
  ] as const);
  const msg = messages[0];
  const text = msg?.body?.trim();
  if (!msg || !text || msg.revokedAt || msg.contentType !== "text") return { outcome: "skipped", reason: "not a text message" };
  if (!msg.contactLive) return { outcome: "skipped", reason: "the contact was deleted" };
  const speaker = msg.direction === "inbound" ? "contact" : "agent";
  const found = await extractor.extract({ text, known: asKnown(known), speaker });
  const seenAt = new Date(msg.createdAt);
  const node: Pick<MentionEdge, "fromType" | "fromId"> = chunks[0]
    ? { fromType: "chunk", fromId: chunks[0].id }
    : { fromType: "message", fromId: msg.id };
  const mentions: MentionEdge[] = found.entities.map((x) => ({
    ...node,
    entityType: x.type,
    entityKey: x.key,
    confidence: x.confidence,
    metadata: { message_id: msg.id },
  }));
  const relations: EvidenceEdge[] =
    speaker === "contact"
      ? found.relations.map((r) => ({
          fromType: "contact",
          fromId: msg.contactId,
          relationship: r.type,
          entityType: r.entityType,
          entityKey: r.entityKey,
          confidence: r.confidence,
          sourceId: msg.id,
        }))
      : [];
  await runAll(ctx, [
    upsertEntities(ctx, entityRows(found.entities), seenAt),
    insertMentions(ctx, mentions, seenAt),
    upsertEvidence(ctx, relations, seenAt),
  ]);
  const facts = speaker === "contact" ? found.facts : [];
  if (facts.length) await observeFacts(ctx, msg.contactId, facts, { sourceId: msg.id, observedAt: seenAt, extractor: extractor.id });
  return {
    outcome: "extracted",
    entities: found.entities.length,
    mentions: mentions.length,
    relations: relations.length,
    facts: facts.length,
  };
}

/** Chunks extracted at once (a model provider is called this many times in parallel). */
const PARALLEL_CHUNKS = 4;

/**
 * A ready document's knowledge, chunk by chunk (the document's own voice: entities only, no facts about anyone):
 * chunk —mentions→ entity, and document —mentions→ entity with the pages it is named on.
 */
export async function extractDocumentKnowledge(ctx: ServiceContext, extractor: Extractor, documentId: string): Promise<KnowledgeOutcome> {
  const d = schema.documents;
  const [docs, chunks, known] = await ctx.db.batch([
    ctx.db.query
      .select({ id: d.id, status: d.status, processedAt: d.processedAt, updatedAt: d.updatedAt })
      .from(d)
      .where(inScope(d, ctx.principal, eq(d.id, documentId))),
    ctx.db.query
      .select({ id: e.id, text: e.contentText, metadata: e.metadata })
      .from(e)
      .where(inScope(e, ctx.principal, eq(e.documentId, documentId), eq(e.contentType, "document"))),
    knownNamesQuery(ctx),
  ] as const);
  const doc = docs[0];
  if (doc?.status !== "ready") return { outcome: "skipped", reason: "the document is not ready" };
  const names = asKnown(known);
  const found: { chunk: (typeof chunks)[number]; extraction: Extraction }[] = [];
  for (let i = 0; i < chunks.length; i += PARALLEL_CHUNKS) {
    const group = chunks.slice(i, i + PARALLEL_CHUNKS);
    const results = await Promise.all(group.map((chunk) => extractor.extract({ text: chunk.text, known: names, speaker: "document" })));
    for (const [k, chunk] of group.entries()) found.push({ chunk, extraction: results[k]! });
  }
  const seenAt = new Date(doc.processedAt ?? doc.updatedAt);
  const mentions: MentionEdge[] = [];
  const perEntity = new Map<string, { type: DocumentMention["entityType"]; key: string; confidences: number[]; pages: Set<number> }>();
  for (const { chunk, extraction } of found) {
    const page = Number(chunk.metadata.page_number);
    const best = new Map<string, { type: DocumentMention["entityType"]; key: string; confidence: number }>();
    for (const x of extraction.entities) {
      const id = `${x.type}\u0000${x.key}`;
      if ((best.get(id)?.confidence ?? -1) < x.confidence) best.set(id, { type: x.type, key: x.key, confidence: x.confidence });
    }
    for (const [id, x] of best) {
      mentions.push({
        fromType: "chunk",
        fromId: chunk.id,
        entityType: x.type,
        entityKey: x.key,
        confidence: x.confidence,
        metadata: { document_id: documentId, ...(Number.isFinite(page) ? { page_number: page } : {}) },
      });
      const agg = perEntity.get(id) ?? { type: x.type, key: x.key, confidences: [], pages: new Set<number>() };
      agg.confidences.push(x.confidence);
      if (Number.isFinite(page)) agg.pages.add(page);
      perEntity.set(id, agg);
    }
  }
  const documentMentions: DocumentMention[] = [...perEntity.values()].map((a) => ({
    documentId,
    entityType: a.type,
    entityKey: a.key,
    strength: combine(a.confidences),
    evidence: a.confidences.length,
    pages: [...a.pages].sort((x, y) => x - y),
  }));
  // The document says when its knowledge was read, and by what (a client, or the eval, waits for it after `ready`).
  const knowledge = { extractedAt: new Date().toISOString(), extractor: extractor.id, entities: perEntity.size, mentions: mentions.length };
  await runAll(ctx, [
    upsertEntities(ctx, entityRows(found.flatMap((x) => x.extraction.entities)), seenAt),
    insertMentions(ctx, mentions, seenAt),
    replaceDocumentMentions(ctx, documentMentions, seenAt),
    sql`update documents set metadata = metadata || jsonb_build_object('knowledge', ${JSON.stringify(knowledge)}::jsonb)
        where id = ${documentId} and tenant_id = ${ctx.principal.tenantId} and project_id = ${ctx.principal.projectId}
          and status = 'ready'`,
  ]);
  return { outcome: "extracted", entities: perEntity.size, mentions: mentions.length, relations: documentMentions.length, facts: 0 };
}
