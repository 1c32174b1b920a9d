import { EMBEDDING_DIMENSIONS } from "../../db/schema/memory";
import { assertNoBlankTexts, chunk, type ModelTarget, modelRejected, modelUnavailable, withDeadline } from "../models/calls";
import { withTaskPrompt } from "./prompts";
import type { Embedder, EmbedKind } from "./types";
import { checkedVectors } from "./vectors";

/** Multilingual (100+ languages, conversations are Portuguese), 768-d by default (Matryoshka: 512/256/128 too). */
export const DEFAULT_WORKERS_AI_EMBEDDING_MODEL = "@cf/google/embeddinggemma-300m";

/**
 * The slice of the `AI` binding we call. Models are chosen by configuration, so the literal-typed overloads of the
 * generated `Ai` type do not apply; inputs and outputs follow each model's published schema.
 */
export interface AiBinding {
  run(model: string, inputs: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<unknown>;
}

/** Workers AI's text-embedding schema caps `text` at 100 items (bge-*); EmbeddingGemma publishes no lower limit. */
const MAX_BATCH = 100;

export class WorkersAiEmbedder implements Embedder {
  readonly dimensions = EMBEDDING_DIMENSIONS;
  readonly semantic = true;
  private readonly target: ModelTarget;

  readonly model: string;
  private readonly timeoutMs: number;

  constructor(
    private readonly ai: AiBinding,
    opts: { model?: string; timeoutMs: number },
  ) {
    this.model = opts.model ?? DEFAULT_WORKERS_AI_EMBEDDING_MODEL;
    this.timeoutMs = opts.timeoutMs;
    this.target = { provider: "workers-ai", model: this.model };
  }

  async embed(texts: string[], kind: EmbedKind): Promise<number[][]> {
    assertNoBlankTexts(texts, "embed");
    const out: number[][] = [];
    // One batch at a time: ingestion is not latency-bound, and Workers AI rate-limits per account.
    for (const batch of chunk(texts, MAX_BATCH)) {
      const text = batch.map((t) => withTaskPrompt(this.model, kind, t));
      const answer = await runModel(this.ai, this.target, { text }, this.timeoutMs);
      // Documented output: { shape: [n, dims], data: number[][] }.
      const data = (answer as { data?: unknown } | null)?.data;
      out.push(...checkedVectors(this.target, data, { count: batch.length, dimensions: this.dimensions }));
    }
    return out;
  }
}

/**
 * One Workers AI call, bounded, with its failures in our own words. `localAlternative` tells a local run which setting
 * to change when the binding cannot run here.
 */
export async function runModel(
  ai: AiBinding,
  target: ModelTarget,
  inputs: Record<string, unknown>,
  timeoutMs: number,
  localAlternative = "use EMBEDDING_PROVIDER=offline or openai",
): Promise<unknown> {
  return withDeadline(target, timeoutMs, async (signal) => {
    try {
      return await ai.run(target.model, inputs, { signal });
    } catch (err) {
      if (signal.aborted) throw modelUnavailable(target, `no answer within ${timeoutMs} ms`, err);
      const message = String((err as { message?: unknown })?.message ?? "");
      // What `wrangler dev --local` and the test pool answer: the binding exists but has no Cloudflare account behind it.
      if (/run remotely/i.test(message)) {
        throw modelUnavailable(target, `the AI binding cannot run locally (no Cloudflare account); ${localAlternative}`, err);
      }
      // Workers AI reports bad input (an unknown model, a schema violation) as errors whose text names the cause;
      // they carry no secret but may quote input, so only the kind is kept.
      if (/invalid|not found|no such model|bad input|schema/i.test(message)) throw modelRejected(target, "it rejected the input");
      throw modelUnavailable(target, "the call failed", err);
    }
  });
}
