import { EMBEDDING_DIMENSIONS } from "../../db/schema/memory";
import { assertNoBlankTexts, chunk, type ModelTarget, modelRejected, postJson } from "../models/calls";
import { withTaskPrompt } from "./prompts";
import type { Embedder, EmbedKind } from "./types";
import { checkedVectors } from "./vectors";

/** Supports `dimensions`, so it answers 768-d vectors for the 768-d column. */
export const DEFAULT_OPENAI_EMBEDDING_MODEL = "text-embedding-3-small";

/**
 * Inputs per request. OpenAI takes 2048, but text-embeddings-inference refuses more than 32 by default
 * (`--max-client-batch-size`), and this client speaks to all of them.
 */
const MAX_BATCH = 32;

/**
 * Models that can shorten their vectors (Matryoshka) and accept `dimensions`. Servers reject the parameter for models
 * that cannot (vLLM, for one), so it is sent only to these; every other model must produce 768 on its own — checked
 * on every answer.
 */
const TRUNCATABLE = /text-embedding-3|gemini-embedding|embeddinggemma/i;

/**
 * An OpenAI-compatible `POST {base}/embeddings`: OpenAI, Azure-style gateways, Ollama, vLLM, LocalAI,
 * text-embeddings-inference, Infinity, LiteLLM…
 */
export class OpenAiEmbedder implements Embedder {
  readonly dimensions = EMBEDDING_DIMENSIONS;
  readonly semantic = true;
  readonly model: string;
  private readonly target: ModelTarget;
  private readonly url: string;

  constructor(private readonly opts: { baseUrl: string; model?: string; apiKey?: string; timeoutMs: number }) {
    this.model = opts.model ?? DEFAULT_OPENAI_EMBEDDING_MODEL;
    this.target = { provider: "openai", model: this.model };
    this.url = `${opts.baseUrl.replace(/\/+$/, "")}/embeddings`;
  }

  async embed(texts: string[], kind: EmbedKind): Promise<number[][]> {
    assertNoBlankTexts(texts, "embed");
    const out: number[][] = [];
    for (const batch of chunk(texts, MAX_BATCH)) {
      const answer = await postJson(
        this.target,
        this.url,
        {
          model: this.model,
          input: batch.map((t) => withTaskPrompt(this.model, kind, t)),
          encoding_format: "float",
          ...(TRUNCATABLE.test(this.model) ? { dimensions: this.dimensions } : {}),
        },
        { apiKey: this.opts.apiKey, timeoutMs: this.opts.timeoutMs },
      );
      out.push(
        ...checkedVectors(this.target, inInputOrder(this.target, answer, batch.length), {
          count: batch.length,
          dimensions: this.dimensions,
        }),
      );
    }
    return out;
  }
}

/** `data[].index` says which input each vector belongs to; servers are not required to keep the order. */
function inInputOrder(target: ModelTarget, answer: unknown, count: number): unknown[] {
  const data = (answer as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw modelRejected(target, "its answer has no `data` list");
  const ordered = new Array<unknown>(count);
  data.forEach((item, position) => {
    const index = typeof item?.index === "number" ? item.index : position;
    if (!Number.isInteger(index) || index < 0 || index >= count || ordered[index] !== undefined) {
      throw modelRejected(target, "its answer's indexes do not match the inputs");
    }
    ordered[index] = item?.embedding;
  });
  if (data.length !== count) throw modelRejected(target, `expected ${count} embeddings, got ${data.length}`);
  return ordered;
}
