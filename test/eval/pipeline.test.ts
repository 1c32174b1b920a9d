import { afterEach, describe, expect, it, vi } from "vitest";
import type { SearchHit, SearchResponse } from "../../scripts/eval/api";
import type { CorpusDoc } from "../../scripts/eval/beir";
import { EvalClient } from "../../scripts/eval/client";
import { ingestCorpus } from "../../scripts/eval/ingest";
import { runConfigurations } from "../../scripts/eval/runs";

/**
 * The API the CLI is written against, faked in memory with the shapes of scripts/eval/api.ts: uploads go pending →
 * processing → ready (or failed), search ranks 80-character chunks by shared words. It checks what the CLI sends.
 */
const knowledgeOf = { extractedAt: "2026-01-01T00:00:00.000Z", extractor: "ventros/rules-pt-en-v1", entities: 1, mentions: 1 };

function fakeApi(opts: { reranker: boolean; neverReady?: string[]; neverRead?: string[]; refuseUploads?: boolean }) {
  const docs = new Map<string, { name: string; text: string; polls: number }>();
  const searches: URLSearchParams[] = [];
  let busy = true;
  const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  const words = (s: string) =>
    new Set(
      s
        .toLowerCase()
        .split(/\W+/u)
        .filter((w) => w.length > 2),
    );
  const fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const headers = new Headers(init.headers);
    if (headers.get("authorization") !== "Bearer vtr_test") return json({ error: { code: "unauthorized" } }, 401);
    if (init.method === "POST" && url.pathname === "/api/v1/documents") {
      if (opts.refuseUploads) return json({ error: { code: "not_found" } }, 404);
      // The first upload meets a busy server: the client must wait and retry.
      if (busy) {
        busy = false;
        return json({ error: { code: "rate_limited" } }, 429, { "retry-after": "0" });
      }
      const form = init.body as FormData;
      const file = form.get("file") as File;
      expect(file.type).toBe("text/plain");
      expect(form.get("title")).toBeTypeOf("string");
      const id = `uuid-${docs.size + 1}`;
      docs.set(id, { name: file.name, text: await file.text(), polls: 0 });
      return json({ id, status: "pending", documentType: form.get("documentType") }, 202);
    }
    const doc = url.pathname.match(/^\/api\/v1\/documents\/(.+)$/);
    if (doc) {
      const d = docs.get(doc[1]!)!;
      d.polls++;
      if (d.text.includes("FAIL")) return json({ id: doc[1], status: "failed", error: "could not extract text" });
      const stuck = opts.neverReady?.some((n) => d.name.startsWith(n));
      const ready = !stuck && d.polls >= 2;
      // The knowledge graph reads a document a poll after it is ready (never, for the names listed).
      const read = ready && d.polls >= 3 && !opts.neverRead?.some((n) => d.name.startsWith(n));
      return json({ id: doc[1], status: ready ? "ready" : "processing", knowledge: read ? knowledgeOf : null });
    }
    if (url.pathname === "/api/v1/memory/search") {
      searches.push(url.searchParams);
      const q = words(url.searchParams.get("query")!);
      const hits: (SearchHit & { score: number })[] = [];
      for (const [id, d] of docs) {
        for (let i = 0; i * 80 < d.text.length; i++) {
          const content = d.text.slice(i * 80, (i + 1) * 80);
          const score = [...words(content)].filter((w) => q.has(w)).length;
          if (score) hits.push({ documentId: id, chunkIndex: i, pageNumber: 1, content, score, scores: { fused: score, channels: {} } });
        }
      }
      hits.sort((a, b) => b.score - a.score);
      const foreign = [
        { ...hits[0]!, documentId: "another-project" },
        { ...hits[0]!, documentId: null },
      ];
      const reranked = url.searchParams.get("rerank") === "true" && opts.reranker;
      const body: SearchResponse = {
        results: [...hits, ...foreign],
        total: hits.length + 2,
        query: url.searchParams.get("query")!,
        reranked,
        models: { embedding: "fake-embedding-768", semantic: true, reranker: reranked ? "fake-reranker" : null },
      };
      return json(body);
    }
    return json({ error: { code: "not_found" } }, 404);
  };
  return { fetch, docs, searches };
}

const corpus: CorpusDoc[] = [
  {
    _id: "d1",
    title: "Contrato",
    text:
      "Contrato de manutenção da Padaria São João. As partes acordam as cláusulas seguintes, e os equipamentos ficam listados em anexo. " +
      "O valor total do contrato é de R$ 12.500,00.",
    metadata: { document_type: "contract" },
  },
  { _id: "d2", title: "Boleto", text: "Boleto da Ótica Visão com vencimento em 10/05/2025." },
  { _id: "d3", title: "Manual", text: "Manual do liquidificador X200: garantia de 12 meses." },
  { _id: "d4", title: "Quebrado", text: "FAIL: an unreadable file" },
];
const queries = [
  { _id: "q1", text: "valor do contrato da padaria" },
  { _id: "q2", text: "vencimento do boleto da otica" },
  { _id: "q3", text: "garantia do liquidificador" },
];
const qrels = new Map([
  ["q1", new Map([["d1", 2]])],
  ["q2", new Map([["d2", 2]])],
  [
    "q3",
    new Map([
      ["d3", 2],
      ["d1", 1],
    ]),
  ],
]);
const quiet = { concurrency: 2, pollMs: 20, progress: () => {} };

afterEach(() => vi.unstubAllGlobals());

describe("retrieval evaluation against the API shapes", () => {
  it("uploads each corpus entry, waits for the pipeline, and reports the document that failed", async () => {
    const api = fakeApi({ reranker: false });
    vi.stubGlobal("fetch", api.fetch);
    const client = new EvalClient("http://api.test", "vtr_test");
    const ingested = await ingestCorpus(client, corpus, { ...quiet, timeoutMs: 20_000 });
    expect(ingested.ready).toBe(3);
    expect(ingested.knowledgeUnread).toBe(0);
    expect(ingested.failed).toEqual([{ corpusId: "d4", error: "could not extract text" }]);
    expect([...ingested.corpusIdsOf.values()].flat().sort()).toEqual(["d1", "d2", "d3"]);
    expect([...api.docs.values()].map((d) => d.name).sort()).toEqual(["d1.txt", "d2.txt", "d3.txt", "d4.txt"]);
  });

  it("scores every configuration, reports foreign hits, and says when no reranker is configured", async () => {
    const api = fakeApi({ reranker: false });
    vi.stubGlobal("fetch", api.fetch);
    const client = new EvalClient("http://api.test", "vtr_test");
    const { corpusIdsOf } = await ingestCorpus(client, corpus, { ...quiet, timeoutMs: 20_000 });
    const rows = await runConfigurations(client, queries, qrels, corpusIdsOf, quiet);
    expect(rows.map((r) => r.configuration)).toEqual([
      "vector",
      "keyword",
      "bm25",
      "graph",
      "recent",
      "fusion (vector+keyword+bm25+graph+recent)",
      "fusion (vector+keyword+bm25+graph)",
      "fusion (vector+keyword+bm25)",
      "fusion + rerank",
    ]);
    for (const row of rows.slice(0, 8)) {
      expect(row.summary?.queries).toBe(3);
      expect(row.summary?.mrr).toBe(1);
      // q3's related contract (grade 1) shares no word with the question: missed, as the fake API ranks.
      expect(row.summary?.recall).toBeCloseTo(5 / 6, 12);
      expect(row.summary?.ndcg).toBeCloseTo((2 + 3 / (3 + 1 / Math.log2(3))) / 3, 12);
      expect(row.models).toEqual({ embedding: "fake-embedding-768", semantic: true, reranker: null });
      expect(row.foreignHits).toBe(6);
    }
    expect(rows.at(-1)).toEqual({
      configuration: "fusion + rerank",
      note: "no reranker configured",
      models: { embedding: "fake-embedding-768", semantic: true, reranker: null },
    });
    const sent = api.searches.map((p) => `${p.get("channels")} ${p.get("rerank")} ${p.get("limit")} ${p.get("contentTypes")}`);
    expect(new Set(sent)).toEqual(
      new Set([
        "vector false 100 document",
        "keyword false 100 document",
        "bm25 false 100 document",
        "graph false 100 document",
        "recent false 100 document",
        "vector,keyword,bm25,graph,recent false 100 document",
        "vector,keyword,bm25,graph false 100 document",
        "vector,keyword,bm25 false 100 document",
        "vector,keyword,bm25,graph,recent true 100 document",
      ]),
    );
    // The rerank probe is one query, not the whole set.
    expect(api.searches.filter((p) => p.get("rerank") === "true")).toHaveLength(1);
  });

  it("runs the reranked fusion when the API reranks, tagged with the reranker's id", async () => {
    vi.stubGlobal("fetch", fakeApi({ reranker: true }).fetch);
    const client = new EvalClient("http://api.test", "vtr_test");
    const { corpusIdsOf } = await ingestCorpus(client, corpus, { ...quiet, timeoutMs: 20_000 });
    const rows = await runConfigurations(client, queries, qrels, corpusIdsOf, quiet);
    expect(rows.at(-1)?.summary?.queries).toBe(3);
    expect(rows.at(-1)?.models).toEqual({ embedding: "fake-embedding-768", semantic: true, reranker: "fake-reranker" });
  });

  it("asks for fewer chunks when told to, and cuts Recall there", async () => {
    const api = fakeApi({ reranker: false });
    vi.stubGlobal("fetch", api.fetch);
    const client = new EvalClient("http://api.test", "vtr_test");
    const { corpusIdsOf } = await ingestCorpus(client, corpus, { ...quiet, timeoutMs: 20_000 });
    const [vector] = await runConfigurations(client, queries, qrels, corpusIdsOf, { ...quiet, searchLimit: 50 });
    expect(vector?.summary?.cutoffs).toEqual({ ndcg: 10, mrr: 10, recall: 50 });
    expect(new Set(api.searches.map((p) => p.get("limit")))).toEqual(new Set(["50"]));
  });

  it("gives up on a document that never becomes ready, and on an API that refuses every upload", async () => {
    vi.stubGlobal("fetch", fakeApi({ reranker: false, neverReady: ["d3"], neverRead: ["d2"] }).fetch);
    const client = new EvalClient("http://api.test", "vtr_test");
    const ingested = await ingestCorpus(client, corpus, { ...quiet, timeoutMs: 300 });
    expect(ingested.failed).toContainEqual({ corpusId: "d3", error: "not ready after 0.3 s" });
    expect(ingested.ready).toBe(2);
    expect(ingested.knowledgeUnread).toBe(1);

    vi.stubGlobal("fetch", fakeApi({ reranker: false, refuseUploads: true }).fetch);
    const many = Array.from({ length: 20 }, (_, i) => ({ _id: `x${i}`, title: "t", text: "text" }));
    await expect(ingestCorpus(client, many, { ...quiet, timeoutMs: 1_000 })).rejects.toThrow(
      /the first \d+ uploads were refused, giving up: POST \/api\/v1\/documents → 404/,
    );
  });
});
