import type { Reranker } from "../embeddings/types";
import { assertNoBlankTexts, chunk, type ModelTarget, modelRejected, postJson } from "../models/calls";
import { byInputPosition, toRelevance } from "./scores";

/** Multilingual (Portuguese included) and served by text-embeddings-inference, Infinity, vLLM and Jina alike. */
export const DEFAULT_HTTP_RERANK_MODEL = "BAAI/bge-reranker-v2-m3";

/** text-embeddings-inference refuses more than 32 texts per request by default (`--max-client-batch-size`). */
const MAX_BATCH = 32;

/**
 * The Cohere/Jina rerank protocol — `POST …/rerank {model, query, documents, top_n}` →
 * `{results: [{index, relevance_score}]}` — which vLLM, Infinity, Jina, LocalAI, LiteLLM and TEI's router speak.
 * `url` is the endpoint itself, or a base URL to which `/rerank` is added (providers disagree on the prefix:
 * `/rerank`, `/v1/rerank`, `/v2/rerank`).
 */
export class HttpReranker implements Reranker {
  readonly model: string;
  private readonly target: ModelTarget;
  private readonly url: string;

  constructor(private readonly opts: { url: string; model?: string; apiKey?: string; timeoutMs: number }) {
    this.model = opts.model ?? DEFAULT_HTTP_RERANK_MODEL;
    this.target = { provider: "http rerank", model: this.model };
    const url = opts.url.replace(/\/+$/, "");
    this.url = /\/rerank$/.test(url) ? url : `${url}/rerank`;
  }

  async rerank(query: string, texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    assertNoBlankTexts([query], "rerank against");
    assertNoBlankTexts(texts, "rerank");
    // A cross-encoder scores each (query, text) pair on its own, so batches are independent and go out together:
    // reranking sits on the search path.
    const batches = await Promise.all(chunk(texts, MAX_BATCH).map((batch) => this.scoreBatch(query, batch)));
    return toRelevance(this.target, batches.flat());
  }

  private async scoreBatch(query: string, documents: string[]): Promise<number[]> {
    const answer = await postJson(
      this.target,
      this.url,
      { model: this.model, query, documents, top_n: documents.length, return_documents: false },
      { apiKey: this.opts.apiKey, timeoutMs: this.opts.timeoutMs },
    );
    const results = (answer as { results?: unknown } | null)?.results;
    if (!Array.isArray(results)) throw modelRejected(this.target, "its answer has no `results` list");
    return byInputPosition(
      this.target,
      results.map((r) => ({ index: r?.index, score: r?.relevance_score })),
      documents.length,
    );
  }
}
