import { describe, expect, it } from "vitest";
import type { SearchHit } from "../../scripts/eval/api";
import { evaluate } from "../../scripts/eval/metrics";
import { CONFIGURATIONS, markdownTable, rankDocuments, searchParams } from "../../scripts/eval/ranking";

const hit = (documentId: string | null, chunkIndex = 0): SearchHit => ({
  documentId,
  chunkIndex,
  pageNumber: 1,
  content: "…",
  scores: { fused: 0.01, channels: {} },
});

describe("rankDocuments", () => {
  const corpusIdOf = new Map([
    ["uuid-a", ["doc-a"]],
    ["uuid-b", ["doc-b"]],
    ["uuid-c", ["doc-c"]],
  ]);

  it("ranks a document at its best chunk and drops its later chunks", () => {
    const hits = [hit("uuid-b", 3), hit("uuid-a", 0), hit("uuid-b", 1), hit("uuid-c", 2), hit("uuid-a", 4)];
    expect(rankDocuments(hits, corpusIdOf)).toEqual({ ranking: ["doc-b", "doc-a", "doc-c"], foreign: 0 });
  });

  it("ranks every corpus entry an API document stands for (identical texts are stored once)", () => {
    const twins = new Map([...corpusIdOf, ["uuid-t", ["doc-t1", "doc-t2"]]]);
    expect(rankDocuments([hit("uuid-a"), hit("uuid-t"), hit("uuid-t", 1)], twins).ranking).toEqual(["doc-a", "doc-t1", "doc-t2"]);
  });

  it("counts hits from documents this run did not upload, and non-document memories, as foreign", () => {
    expect(rankDocuments([hit(null), hit("uuid-x"), hit("uuid-a")], corpusIdOf)).toEqual({ ranking: ["doc-a"], foreign: 2 });
  });

  it("feeds the metrics with document ranks, not chunk ranks", () => {
    const { ranking } = rankDocuments([hit("uuid-b"), hit("uuid-b", 1), hit("uuid-a")], corpusIdOf);
    const s = evaluate(new Map([["q", ranking]]), new Map([["q", new Map([["doc-a", 1]])]]));
    expect(s.mrr).toBe(0.5);
  });
});

describe("configurations", () => {
  it("are each channel alone, the fusion of all five (without recency, and without the graph), and the fusion reranked", () => {
    expect(CONFIGURATIONS.map((c) => [c.name, c.channels.join(","), c.rerank])).toEqual([
      ["vector", "vector", false],
      ["keyword", "keyword", false],
      ["bm25", "bm25", false],
      ["graph", "graph", false],
      ["recent", "recent", false],
      ["fusion (vector+keyword+bm25+graph+recent)", "vector,keyword,bm25,graph,recent", false],
      ["fusion (vector+keyword+bm25+graph)", "vector,keyword,bm25,graph", false],
      ["fusion (vector+keyword+bm25)", "vector,keyword,bm25", false],
      ["fusion + rerank", "vector,keyword,bm25,graph,recent", true],
    ]);
  });

  it("become the search query string", () => {
    expect(searchParams(CONFIGURATIONS[5]!, "qual o valor?").toString()).toBe(
      "query=qual+o+valor%3F&limit=100&contentTypes=document&channels=vector%2Ckeyword%2Cbm25%2Cgraph%2Crecent&rerank=false",
    );
  });
});

describe("markdownTable", () => {
  it("prints one row per configuration with the model ids (never passing hashing off as semantic), and why a row did not run", () => {
    const summary = { cutoffs: { ndcg: 10, mrr: 10, recall: 100 }, ndcg: 0.83333, mrr: 0.9, recall: 1, queries: 2, perQuery: [] };
    const models = { embedding: "offline/hash-768", semantic: false, reranker: null };
    expect(
      markdownTable([
        { configuration: "bm25", summary, models },
        { configuration: "fusion + rerank", note: "no reranker configured", models },
      ]),
    ).toBe(
      [
        "| Configuration | nDCG@10 | MRR@10 | Recall@100 | Embedding model | Reranker |",
        "| --- | ---: | ---: | ---: | --- | --- |",
        "| bm25 | 0.833 | 0.900 | 1.000 | offline/hash-768 (not semantic) | - |",
        "| fusion + rerank | no reranker configured |  |  | offline/hash-768 (not semantic) | - |",
      ].join("\n"),
    );
  });
});
