import { z } from "zod";
import { aiBinding } from "../../../integrations/embeddings";
import { OpenAiExtractor, WorkersAiExtractor } from "./llm";
import { RULES_EXTRACTOR_ID, RulesExtractor } from "./rules";
import type { Extractor } from "./types";

/**
 * Who extracts entities and facts: `rules` (offline patterns and the project's names — dev, tests, CI, and the
 * default: it never fails and costs nothing), `workers-ai` (the AI binding) or `openai` (any OpenAI-compatible
 * /chat/completions with json_schema answers at EXTRACTION_BASE_URL). Part of the Worker's configuration (src/env.ts).
 */
export const extractionSettings = {
  EXTRACTION_PROVIDER: z.enum(["rules", "workers-ai", "openai"]).default("rules"),
  /** Default per provider (src/services/memory/extraction/llm.ts). */
  EXTRACTION_MODEL: z.string().min(1).optional(),
  EXTRACTION_BASE_URL: z.url({ protocol: /^https?$/, error: "EXTRACTION_BASE_URL must be an http(s) URL" }).optional(),
  EXTRACTION_API_KEY: z.string().min(1).optional(),
  /** Upper bound of one extraction call. Generating JSON takes longer than embedding, and runs off the request path. */
  EXTRACTION_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(30_000),
};

export type ExtractionSettings = z.infer<z.ZodObject<typeof extractionSettings>>;

/** Settings that only make sense together, reported with the rest of the configuration (like checkModelSettings). */
export function checkExtractionSettings(s: ExtractionSettings, ctx: z.RefinementCtx) {
  if (s.EXTRACTION_PROVIDER === "openai" && !s.EXTRACTION_BASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["EXTRACTION_BASE_URL"],
      message: "EXTRACTION_PROVIDER=openai needs EXTRACTION_BASE_URL (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1)",
    });
  }
  if (s.EXTRACTION_PROVIDER === "rules" && s.EXTRACTION_MODEL && s.EXTRACTION_MODEL !== RULES_EXTRACTOR_ID) {
    ctx.addIssue({
      code: "custom",
      path: ["EXTRACTION_MODEL"],
      message: `EXTRACTION_PROVIDER=rules has one model (${RULES_EXTRACTOR_ID}); unset EXTRACTION_MODEL or choose another provider`,
    });
  }
}

/** The extractor this deployment is configured for (EXTRACTION_PROVIDER). */
export function extractorFor(config: ExtractionSettings, env: { AI?: unknown }): Extractor {
  const timeoutMs = config.EXTRACTION_TIMEOUT_MS;
  switch (config.EXTRACTION_PROVIDER) {
    case "rules":
      return new RulesExtractor();
    case "workers-ai":
      return new WorkersAiExtractor(aiBinding(env, "EXTRACTION_PROVIDER"), { model: config.EXTRACTION_MODEL, timeoutMs });
    case "openai":
      return new OpenAiExtractor({
        // checkExtractionSettings refuses openai without a base URL.
        baseUrl: config.EXTRACTION_BASE_URL!,
        model: config.EXTRACTION_MODEL,
        apiKey: config.EXTRACTION_API_KEY,
        timeoutMs,
      });
  }
}
