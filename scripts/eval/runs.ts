import type { Models } from "./api";
import type { Qrels, Query } from "./beir";
import { type EvalClient, mapLimit } from "./client";
import { DEFAULT_CUTOFFS, evaluate } from "./metrics";
import { CONFIGURATIONS, type Configuration, type Row, rankDocuments, SEARCH_LIMIT, searchParams } from "./ranking";

export interface RunOptions {
  concurrency: number;
  searchLimit?: number;
  extraParams?: URLSearchParams;
  progress: (line: string) => void;
}

export interface RunRow extends Row {
  /** Hits from outside the scratch project's uploads: should always be 0. */
  foreignHits?: number;
  meanSearchMs?: number;
}

/** Every configuration over every query. A configuration the API refuses becomes a row saying why; the others still run. */
export async function runConfigurations(
  client: EvalClient,
  queries: readonly Query[],
  qrels: Qrels,
  corpusIdsOf: ReadonlyMap<string, readonly string[]>,
  opts: RunOptions,
): Promise<RunRow[]> {
  const rows: RunRow[] = [];
  for (const config of CONFIGURATIONS) {
    try {
      rows.push(await runOne(client, config, queries, qrels, corpusIdsOf, opts));
    } catch (err) {
      rows.push({ configuration: config.name, note: `failed: ${(err as Error).message.slice(0, 200)}` });
    }
  }
  return rows;
}

async function runOne(
  client: EvalClient,
  config: Configuration,
  queries: readonly Query[],
  qrels: Qrels,
  corpusIdsOf: ReadonlyMap<string, readonly string[]>,
  opts: RunOptions,
): Promise<RunRow> {
  const limit = opts.searchLimit ?? SEARCH_LIMIT;
  // Asking for a rerank without a reranker is answered with `reranked: false`: one query tells, the rest is skipped.
  if (config.rerank && queries.length) {
    const probe = await client.search(searchParams(config, queries[0]!.text, limit, opts.extraParams));
    if (!probe.reranked) return { configuration: config.name, note: "no reranker configured", models: probe.models };
  }
  const run = new Map<string, string[]>();
  const models = new Map<string, Models>();
  let foreign = 0;
  let searchMs = 0;
  let done = 0;
  await mapLimit(queries, opts.concurrency, async (q) => {
    const t0 = performance.now();
    const res = await client.search(searchParams(config, q.text, limit, opts.extraParams));
    searchMs += performance.now() - t0;
    if (config.rerank && !res.reranked) throw new Error(`query ${q._id} was not reranked`);
    models.set(JSON.stringify(res.models), res.models);
    const ranked = rankDocuments(res.results, corpusIdsOf);
    run.set(q._id, ranked.ranking);
    foreign += ranked.foreign;
    opts.progress(`${config.name}: ${++done}/${queries.length}`);
  });
  if (models.size > 1) throw new Error(`the model ids changed during the run: ${[...models.keys()].join(" / ")}`);
  return {
    configuration: config.name,
    summary: evaluate(run, qrels, { ...DEFAULT_CUTOFFS, recall: Math.min(DEFAULT_CUTOFFS.recall, limit) }),
    models: [...models.values()][0],
    foreignHits: foreign,
    meanSearchMs: queries.length ? searchMs / queries.length : undefined,
  };
}
