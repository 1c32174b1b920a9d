import type { Config } from "../../env";
import { AppError } from "../../lib/errors";
import { HttpReranker } from "../rerank/http";
import { WorkersAiReranker } from "../rerank/workers-ai";
import { OfflineEmbedder } from "./offline";
import { OpenAiEmbedder } from "./openai";
import type { Embedder, Reranker } from "./types";
import { type AiBinding, WorkersAiEmbedder } from "./workers-ai";

export type { Embedder, EmbedKind, Reranker } from "./types";

/** The embedder this deployment is configured for (EMBEDDING_PROVIDER). */
export function embedderFor(config: Config, env: { AI?: unknown }): Embedder {
  const timeoutMs = config.MODEL_TIMEOUT_MS;
  switch (config.EMBEDDING_PROVIDER) {
    case "offline":
      return new OfflineEmbedder();
    case "workers-ai":
      return new WorkersAiEmbedder(aiBinding(env, "EMBEDDING_PROVIDER"), { model: config.EMBEDDING_MODEL, timeoutMs });
    case "openai":
      return new OpenAiEmbedder({
        // The configuration schema refuses openai without a base URL.
        baseUrl: config.EMBEDDING_BASE_URL!,
        model: config.EMBEDDING_MODEL,
        apiKey: config.EMBEDDING_API_KEY,
        timeoutMs,
      });
  }
}

/** The reranker this deployment is configured for (RERANK_PROVIDER), or null: search then says `reranked: false`. */
export function rerankerFor(config: Config, env: { AI?: unknown }): Reranker | null {
  const timeoutMs = config.MODEL_TIMEOUT_MS;
  switch (config.RERANK_PROVIDER) {
    case "none":
      return null;
    case "workers-ai":
      return new WorkersAiReranker(aiBinding(env, "RERANK_PROVIDER"), { model: config.RERANK_MODEL, timeoutMs });
    case "http":
      return new HttpReranker({ url: config.RERANK_URL!, model: config.RERANK_MODEL, apiKey: config.RERANK_API_KEY, timeoutMs });
  }
}

/** The AI binding, or a configuration error naming the setting that asked for it. */
export function aiBinding(env: { AI?: unknown }, setting: string): AiBinding {
  const ai = env.AI as Partial<AiBinding> | undefined;
  if (typeof ai?.run !== "function") {
    throw new AppError("internal", `Invalid configuration — ${setting}=workers-ai needs the AI binding ([ai] in wrangler.toml)`, {
      settings: [setting],
    });
  }
  return ai as AiBinding;
}
