import type { z } from "zod";
import { OFFLINE_EMBEDDING_MODEL } from "./offline";

interface ModelSettings {
  EMBEDDING_PROVIDER: "offline" | "workers-ai" | "openai";
  EMBEDDING_MODEL?: string;
  EMBEDDING_BASE_URL?: string;
  RERANK_PROVIDER: "none" | "workers-ai" | "http";
  RERANK_URL?: string;
}

/**
 * Settings that only make sense together, checked with the rest of the configuration so a deployment missing one
 * fails on its first request naming the setting — not on the first search, as a driver error. (Whether the `AI`
 * binding exists is known only at runtime: `embedderFor` checks it.)
 */
export function checkModelSettings(s: ModelSettings, ctx: z.RefinementCtx) {
  if (s.EMBEDDING_PROVIDER === "openai" && !s.EMBEDDING_BASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["EMBEDDING_BASE_URL"],
      message: "EMBEDDING_PROVIDER=openai needs EMBEDDING_BASE_URL (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1)",
    });
  }
  if (s.EMBEDDING_PROVIDER === "offline" && s.EMBEDDING_MODEL && s.EMBEDDING_MODEL !== OFFLINE_EMBEDDING_MODEL) {
    ctx.addIssue({
      code: "custom",
      path: ["EMBEDDING_MODEL"],
      message: `EMBEDDING_PROVIDER=offline has one model (${OFFLINE_EMBEDDING_MODEL}); unset EMBEDDING_MODEL or choose another provider`,
    });
  }
  if (s.RERANK_PROVIDER === "http" && !s.RERANK_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["RERANK_URL"],
      message: "RERANK_PROVIDER=http needs RERANK_URL (the /rerank endpoint of a Cohere/Jina-compatible server)",
    });
  }
}
