import { CHANNELS, type Channel, type Models, type SearchHit } from "./api";
import type { Summary } from "./metrics";

/** One row of the table: a channel alone, the fusion of all of them, or the fusion reranked. */
export interface Configuration {
  name: string;
  channels: readonly Channel[];
  rerank: boolean;
}

const TEXTUAL = CHANNELS.filter((c) => c !== "recent");
const WITHOUT_GRAPH = TEXTUAL.filter((c) => c !== "graph");

/**
 * Besides the five channels fused, the fusion without `recent` (the API's default channel set): recency says nothing
 * about relevance in a corpus uploaded at once, and this row shows what it costs the fusion. And the default without
 * the graph, so the table shows what the knowledge graph adds.
 */
export const CONFIGURATIONS: readonly Configuration[] = [
  ...CHANNELS.map((c) => ({ name: c, channels: [c], rerank: false })),
  { name: `fusion (${CHANNELS.join("+")})`, channels: CHANNELS, rerank: false },
  { name: `fusion (${TEXTUAL.join("+")})`, channels: TEXTUAL, rerank: false },
  { name: `fusion (${WITHOUT_GRAPH.join("+")})`, channels: WITHOUT_GRAPH, rerank: false },
  { name: "fusion + rerank", channels: CHANNELS, rerank: true },
];

/**
 * Chunks asked for per search (Recall@100 needs 100); a document ranks at its best chunk, so fewer documents come
 * back. `--search-limit` lowers it for an API that caps `limit`, and Recall's cutoff follows.
 */
export const SEARCH_LIMIT = 100;

export function searchParams(
  config: Configuration,
  query: string,
  limit = SEARCH_LIMIT,
  /** Extra search parameters for every query (`--params "keywordWeight=0.5&rrfK=30"`), e.g. to compare weights. */
  extra?: URLSearchParams,
): URLSearchParams {
  const params = new URLSearchParams({
    query,
    limit: String(limit),
    contentTypes: "document",
    channels: config.channels.join(","),
    rerank: String(config.rerank),
  });
  for (const [k, v] of extra ?? []) params.set(k, v);
  return params;
}

/**
 * Chunks in the order the API ranked them → corpus ids, each at its best chunk's place. A corpus that holds the same
 * text twice gets one API document (uploads are deduplicated by content), so one document may stand for several ids.
 * Hits from documents this run did not upload (or from non-document memories) are dropped and counted: they mean
 * the scratch project leaked.
 */
export function rankDocuments(
  hits: readonly SearchHit[],
  corpusIdsOf: ReadonlyMap<string, readonly string[]>,
): { ranking: string[]; foreign: number } {
  const ranking: string[] = [];
  const seen = new Set<string>();
  let foreign = 0;
  for (const hit of hits) {
    const corpusIds = hit.documentId ? corpusIdsOf.get(hit.documentId) : undefined;
    if (!corpusIds) {
      foreign++;
      continue;
    }
    for (const id of corpusIds) {
      if (seen.has(id)) continue;
      seen.add(id);
      ranking.push(id);
    }
  }
  return { ranking, foreign };
}

export interface Row {
  configuration: string;
  /** Absent when the configuration could not run; `note` says why. */
  summary?: Summary;
  note?: string;
  models?: Models;
}

const fmt = (n: number) => n.toFixed(3);

/** Markdown, so the table can be pasted into the README as is. */
export function markdownTable(rows: readonly Row[]): string {
  const cutoffs = rows.find((r) => r.summary)?.summary?.cutoffs ?? { ndcg: 10, mrr: 10, recall: 100 };
  const header = ["Configuration", `nDCG@${cutoffs.ndcg}`, `MRR@${cutoffs.mrr}`, `Recall@${cutoffs.recall}`, "Embedding model", "Reranker"];
  const body = rows.map((r) => {
    const embedding = r.models ? `${r.models.embedding}${r.models.semantic === false ? " (not semantic)" : ""}` : "-";
    const models = [embedding, r.models?.reranker ?? "-"];
    if (!r.summary) return [r.configuration, r.note ?? "not run", "", "", ...models];
    return [r.configuration, fmt(r.summary.ndcg), fmt(r.summary.mrr), fmt(r.summary.recall), ...models];
  });
  const line = (cells: string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 || i >= 4 ? "---" : "---:"))), ...body.map(line)].join("\n");
}
