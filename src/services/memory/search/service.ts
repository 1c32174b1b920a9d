import { sql } from "drizzle-orm";
import { AppError } from "../../../lib/errors";
import type { ServiceContext } from "../../context";
import { memoryOf } from "../deps";
import {
  CHANNELS,
  type Channel,
  DEFAULT_CHANNELS,
  DEFAULT_RRF_K,
  DEFAULT_WEIGHTS,
  HNSW_EF_SEARCH,
  RERANK_THRESHOLD,
  RERANK_TOP_K,
} from "./channels";
import { queryEntityKeys } from "./entity-keys";
import { type FactRow, factsStatement } from "./facts";
import { isEmptyQuery, parseQuery, semanticText } from "./query";
import { type SearchFilters, type SearchRow, searchStatement } from "./statement";

export interface SearchInput extends SearchFilters {
  query: string;
  limit: number;
  channels?: Channel[];
  weights?: Partial<Record<Channel, number>>;
  rrfK?: number;
  /** Default: rerank when a reranker is configured. */
  rerank?: boolean;
  /** Also return up to this many current facts (a contact's when `contactId` is given), in the same round trip. */
  facts?: number;
}

export interface FactHit {
  id: string;
  contactId: string;
  factType: string;
  factKey: string;
  factValue: string | null;
  factText: string;
  confidence: number;
  sourceCount: number;
  lastObservedAt: Date;
  validFrom: Date;
  /** How well the statement matches the question's words (0 when it does not). */
  match: number;
}

export interface SearchHit {
  id: string;
  contentType: string;
  contentSubtype: string | null;
  content: string;
  documentId: string | null;
  contactId: string | null;
  sessionId: string | null;
  messageId: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  scores: {
    fused: number;
    channels: Partial<Record<Channel, { rank: number; score: number; weight: number }>>;
    rerank: number | null;
  };
}

export interface SearchResult {
  query: string;
  results: SearchHit[];
  total: number;
  channels: Channel[];
  reranked: boolean;
  models: { embedding: string; semantic: boolean; reranker: string | null };
  facts: FactHit[];
}

/**
 * Hybrid search over the project's memory: the query is embedded (the one call outside the database), then every
 * channel and their fusion run as one statement — one database round trip, with the HNSW settings it needs set
 * for that statement alone in the same batch. An optional rerank stage reorders the fused candidates.
 */
export async function searchMemory(ctx: ServiceContext, input: SearchInput): Promise<SearchResult> {
  const { embedder, reranker } = memoryOf(ctx);
  const query = parseQuery(input.query);
  if (isEmptyQuery(query)) {
    throw new AppError("invalid_request", "The query has no words to search for", [
      { path: "query", message: "must contain at least one word (letters or digits) outside exclusions" },
    ]);
  }
  const channels = input.channels?.length ? [...new Set(input.channels)] : DEFAULT_CHANNELS;
  // An explicitly empty list of content types asks for facts only: no chunk search, no query embedding.
  const chunks = !input.contentTypes || input.contentTypes.length > 0;
  const rerank = chunks && (input.rerank ?? true) && reranker !== null;
  const finalLimit = rerank ? Math.max(input.limit, RERANK_TOP_K) : input.limit;
  const vector =
    chunks && channels.includes("vector") ? (await embedder.embed([semanticText(input.query) || input.query], "query"))[0]! : null;
  const weights = Object.fromEntries(CHANNELS.map((c) => [c, input.weights?.[c] ?? DEFAULT_WEIGHTS[c]])) as Record<Channel, number>;
  const statement = searchStatement({
    tenantId: ctx.principal.tenantId,
    projectId: ctx.principal.projectId,
    query,
    vector,
    model: embedder.model,
    entityKeys: channels.includes("graph") ? queryEntityKeys(input.query) : [],
    filters: input,
    channels,
    weights,
    k: input.rrfK ?? DEFAULT_RRF_K,
    perChannel: Math.max(2 * finalLimit, 20),
    limit: finalLimit,
  });
  const facts = input.facts
    ? factsStatement({
        tenantId: ctx.principal.tenantId,
        projectId: ctx.principal.projectId,
        contactId: input.contactId,
        query,
        limit: input.facts,
      })
    : sql`select null where false`;
  // Filtered HNSW keeps scanning until enough rows pass the filters (pgvector ≥ 0.8), instead of returning fewer.
  const [, found, factRows] = await ctx.db.batch([
    ctx.db.query.execute(
      sql`select set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', ${String(HNSW_EF_SEARCH)}, true)`,
    ),
    ctx.db.query.execute<SearchRow>(chunks ? statement : sql`select null where false`),
    ctx.db.query.execute<FactRow>(facts),
  ] as const);
  let hits = (found as unknown as { rows: SearchRow[] }).rows.map(toHit);
  if (rerank && hits.length) {
    const scores = await reranker!.rerank(
      input.query,
      hits.map((h) => h.content),
    );
    hits = hits
      .map((h, i) => ({ ...h, scores: { ...h.scores, rerank: scores[i]! } }))
      .filter((h) => h.scores.rerank! >= RERANK_THRESHOLD)
      .sort((a, b) => b.scores.rerank! - a.scores.rerank! || b.scores.fused - a.scores.fused);
  }
  hits = hits.slice(0, input.limit);
  return {
    query: input.query,
    results: hits,
    total: hits.length,
    channels,
    reranked: rerank,
    models: { embedding: embedder.model, semantic: embedder.semantic, reranker: rerank ? reranker!.model : null },
    facts: (factRows as unknown as { rows: FactRow[] }).rows.map(toFact),
  };
}

function toFact(r: FactRow): FactHit {
  return {
    id: r.id,
    contactId: r.contact_id,
    factType: r.fact_type,
    factKey: r.fact_key,
    factValue: r.fact_value,
    factText: r.fact_text,
    confidence: Number(r.confidence),
    sourceCount: Number(r.source_count),
    lastObservedAt: new Date(r.last_observed_at),
    validFrom: new Date(r.valid_from),
    match: Number(r.match),
  };
}

function toHit(r: SearchRow): SearchHit {
  return {
    id: r.id,
    contentType: r.content_type,
    contentSubtype: r.content_subtype,
    content: r.content_text,
    documentId: r.document_id,
    contactId: r.contact_id,
    sessionId: r.session_id,
    messageId: r.message_id,
    metadata: r.metadata,
    createdAt: new Date(r.created_at),
    scores: { fused: Number(r.fused), channels: r.channels ?? {}, rerank: null },
  };
}
