import type { Reranker } from "../embeddings/types";
import { type AiBinding, runModel } from "../embeddings/workers-ai";
import { assertNoBlankTexts, chunk, type ModelTarget, modelRejected } from "../models/calls";
import { byInputPosition, toRelevance } from "./scores";

/** A cross-encoder trained on English and Chinese: measure it on Portuguese before turning it on. */
export const DEFAULT_WORKERS_AI_RERANK_MODEL = "@cf/baai/bge-reranker-base";

/** Workers AI publishes no limit on `contexts`; 100 is the rerank depth (top_k 100), so one call per search. */
const MAX_BATCH = 100;

/** Workers AI rerankers: `{query, contexts: [{text}], top_k}` → `{response: [{id, score}]}`. */
export class WorkersAiReranker implements Reranker {
  readonly model: string;
  private readonly target: ModelTarget;
  private readonly timeoutMs: number;

  constructor(
    private readonly ai: AiBinding,
    opts: { model?: string; timeoutMs: number },
  ) {
    this.model = opts.model ?? DEFAULT_WORKERS_AI_RERANK_MODEL;
    this.timeoutMs = opts.timeoutMs;
    this.target = { provider: "workers-ai", model: this.model };
  }

  async rerank(query: string, texts: string[]): Promise<number[]> {
    if (texts.length === 0) return [];
    assertNoBlankTexts([query], "rerank against");
    assertNoBlankTexts(texts, "rerank");
    const batches = await Promise.all(
      chunk(texts, MAX_BATCH).map(async (batch) => {
        // top_k = every context: the answer is cut to top_k, and every text needs its score.
        const answer = await runModel(
          this.ai,
          this.target,
          { query, contexts: batch.map((text) => ({ text })), top_k: batch.length },
          this.timeoutMs,
        );
        const response = (answer as { response?: unknown } | null)?.response;
        if (!Array.isArray(response)) throw modelRejected(this.target, "its answer has no `response` list");
        return byInputPosition(
          this.target,
          response.map((r) => ({ index: r?.id, score: r?.score })),
          batch.length,
        );
      }),
    );
    return toRelevance(this.target, batches.flat());
  }
}
