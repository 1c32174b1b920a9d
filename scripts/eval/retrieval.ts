/**
 * `npm run eval:retrieval -- [--dataset <dir>] [--limit N] [--json out.json]` — retrieval quality of memory search on a
 * BEIR folder (default: the synthetic set in test/fixtures/retrieval). Boots the local stack as the bench does, uploads
 * the corpus through POST /api/v1/documents into a scratch project, waits for the pipeline, then asks every query of
 * each configuration (each channel alone, the fusion, the fusion reranked) and prints nDCG@10, MRR@10 and Recall@100
 * as a Markdown table tagged with the model ids. Model settings (EMBEDDING_*, RERANK_*) come from the environment.
 *   --limit N         evaluate the first N queries only (the whole corpus is still ingested)
 *   --search-limit N  chunks asked per search (default 100; Recall's cutoff follows when lower)
 *   --split NAME      qrels/<NAME>.tsv (default test)
 *   --concurrency N   requests in flight (default 4)
 *   --timeout S       seconds to wait for ingestion (default 900)
 *   --params QS       extra search parameters for every query, e.g. "keywordWeight=0.5&rrfK=30"
 *   --worker-logs     show wrangler's output
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Qrels } from "./beir";
import { readBeir } from "./beir";
import { EvalClient } from "./client";
import { ingestCorpus } from "./ingest";
import { markdownTable } from "./ranking";
import { runConfigurations } from "./runs";
import { startEvalStack } from "./stack";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    dataset: { type: "string", default: path.resolve(import.meta.dirname, "../../test/fixtures/retrieval") },
    limit: { type: "string" },
    "search-limit": { type: "string", default: "100" },
    params: { type: "string" },
    json: { type: "string" },
    split: { type: "string", default: "test" },
    concurrency: { type: "string", default: "4" },
    timeout: { type: "string", default: "900" },
    port: { type: "string", default: process.env.EVAL_PORT ?? "8797" },
    "worker-logs": { type: "boolean", default: false },
  },
});
const positive = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a positive integer, got ${v}`);
    process.exit(2);
  }
  return n;
};
const limit = values.limit === undefined ? undefined : positive("limit", values.limit);
const concurrency = positive("concurrency", values.concurrency);

const startedAt = new Date();
const dataset = await readBeir(values.dataset, (p) => readFile(p, "utf8"), values.split);
const queries = dataset.queries.filter((q) => dataset.qrels.has(q._id)).slice(0, limit);
// Judgements of queries outside the file (or beyond --limit) must not count as misses.
const qrels: Qrels = new Map(queries.map((q) => [q._id, dataset.qrels.get(q._id)!]));
for (const w of dataset.warnings) console.error(`warning: ${w}`);
if (!queries.length) {
  console.error(`${values.dataset}: no judged queries to evaluate`);
  process.exit(1);
}

const progress = (line: string) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${line}`);
};
const stack = await startEvalStack({ port: positive("port", values.port), workerLogs: values["worker-logs"] });
let exitCode = 0;
try {
  const client = new EvalClient(stack.url, stack.apiKey);
  console.error(`Ingesting ${dataset.corpus.length} documents from ${values.dataset} (database: ${stack.backend})`);
  const ingested = await ingestCorpus(client, dataset.corpus, {
    concurrency,
    timeoutMs: positive("timeout", values.timeout) * 1000,
    progress,
  });
  progress("");
  console.error(
    `${ingested.ready} documents ready in ${ingested.seconds.toFixed(0)} s, ${ingested.failed.length} failed; ` +
      (ingested.knowledgeUnread
        ? `${ingested.knowledgeUnread} not read by the knowledge graph in time`
        : "all read by the knowledge graph"),
  );
  for (const f of ingested.failed.slice(0, 5)) console.error(`  ${f.corpusId}: ${f.error.slice(0, 300)}`);
  if (!ingested.ready) throw new Error("no document was ingested; nothing to search");

  const searchLimit = positive("search-limit", values["search-limit"]);
  const rows = await runConfigurations(client, queries, qrels, ingested.corpusIdsOf, {
    concurrency,
    searchLimit,
    progress,
    extraParams: values.params ? new URLSearchParams(values.params) : undefined,
  });
  progress("");
  const leaked = rows.reduce((s, r) => s + (r.foreignHits ?? 0), 0);
  if (leaked) console.error(`warning: ${leaked} hits came from documents this run did not upload`);
  console.log(
    `\nRetrieval on ${path.basename(path.resolve(values.dataset))}: ${ingested.ready}/${dataset.corpus.length} documents, ` +
      `${queries.length} queries (document-level ranks: a document counts at its best chunk)\n`,
  );
  console.log(markdownTable(rows));
  if (values.json) {
    const report = {
      dataset: path.resolve(values.dataset),
      startedAt: startedAt.toISOString(),
      seconds: Math.round((Date.now() - startedAt.getTime()) / 1000),
      backend: stack.backend,
      documents: { total: dataset.corpus.length, ready: ingested.ready, failed: ingested.failed, ingestSeconds: ingested.seconds },
      queries: queries.length,
      warnings: dataset.warnings,
      rows,
    };
    await writeFile(values.json, `${JSON.stringify(report, null, 2)}\n`);
    console.error(`\nReport: ${values.json}`);
  }
} catch (err) {
  console.error(`\n${(err as Error).message}`);
  exitCode = 1;
} finally {
  await stack.stop();
}
process.exit(exitCode);
