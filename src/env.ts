import { z } from "zod";
import { createDatabase } from "./db";
import { checkModelSettings } from "./integrations/embeddings/config";
import { AppError } from "./lib/errors";
import { checkMediaSettings, mediaSettings } from "./services/media/config";
import { checkExtractionSettings, extractionSettings } from "./services/memory/extraction/config";
import { MAX_WAHA_TIMEOUT_MS } from "./services/messages/lease";

/**
 * Vars and secrets, validated per request. A missing or malformed setting fails with a message naming it,
 * instead of surfacing later as an obscure driver error.
 */
const configSchema = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]).default("production"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  DATABASE_URL: z
    .string({ error: "DATABASE_URL is not set (a Postgres connection string, e.g. Neon's pooled URL)" })
    .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must be a postgres:// or postgresql:// URL"),
  NEON_WS_PROXY: z.string().optional(),
  NEON_HTTP_ENDPOINT: z.url().optional(),
  /** Upper bound of every database call (HTTP query, WebSocket connect, statement); past it the request answers 503. */
  DATABASE_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  /**
   * Upper bound of one WAHA call (a send; a chat lookup across all its pages); a send past it is treated as possibly
   * delivered and reconciled. At most a third of the send lease (MAX_WAHA_TIMEOUT_MS), so a send never outlives it.
   */
  WAHA_TIMEOUT_MS: z.coerce.number().int().min(50).max(MAX_WAHA_TIMEOUT_MS).default(20_000),
  JWT_SECRET: z
    .string({ error: "JWT_SECRET is not set (at least 32 random characters)" })
    .min(32, "JWT_SECRET must be at least 32 characters"),
  BUILD_VERSION: z.string().default("dev"),
  BUILD_COMMIT: z.string().default("unknown"),
  PUBLIC_BASE_URL: z.url().optional(),
  STRIPE_WEBHOOK_SECRET: z.string().min(10).optional(),
  /** Comma-separated origins allowed to call /mcp from a browser (server-to-server calls send no Origin). */
  MCP_ALLOWED_ORIGINS: z.string().optional(),
  /** JSON overriding or adding per-plan request limits: {"pro": {"key": 600, "tenant": 3000, "windowSeconds": 60}}. */
  RATE_LIMITS: z.string().optional(),
  /**
   * Who embeds documents and queries: `workers-ai` (the AI binding; production), `openai` (any OpenAI-compatible
   * /embeddings at EMBEDDING_BASE_URL) or `offline` (deterministic feature hashing: dev, tests, CI — not semantic).
   */
  EMBEDDING_PROVIDER: z.enum(["offline", "workers-ai", "openai"]).default("offline"),
  /** Default per provider (src/integrations/embeddings); it must produce 768-d vectors. */
  EMBEDDING_MODEL: z.string().min(1).optional(),
  EMBEDDING_BASE_URL: z.url({ protocol: /^https?$/, error: "EMBEDDING_BASE_URL must be an http(s) URL" }).optional(),
  EMBEDDING_API_KEY: z.string().min(1).optional(),
  /** Optional second stage of search: `workers-ai` (the AI binding) or `http` (Cohere/Jina-compatible /rerank). */
  RERANK_PROVIDER: z.enum(["none", "workers-ai", "http"]).default("none"),
  RERANK_URL: z.url({ protocol: /^https?$/, error: "RERANK_URL must be an http(s) URL" }).optional(),
  RERANK_MODEL: z.string().min(1).optional(),
  RERANK_API_KEY: z.string().min(1).optional(),
  /** Upper bound of one embedding or rerank call; past it the call fails as `unavailable` (503). */
  MODEL_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  /** Entity and fact extraction for memory: EXTRACTION_PROVIDER rules (default) | workers-ai | openai, and its settings. */
  ...extractionSettings,
  /** WhatsApp media: size cap, signed URL lifetime, transcription and vision providers (src/services/media/config.ts). */
  ...mediaSettings,
});

/** Settings valid one by one but not together (e.g. the openai provider without its URL). */
const checkedConfigSchema = configSchema.superRefine((settings, ctx) => {
  checkModelSettings(settings, ctx);
  checkExtractionSettings(settings, ctx);
  checkMediaSettings(settings, ctx);
});

export type Config = z.infer<typeof configSchema>;

/** The per-request database for this configuration (Neon in production, the local proxies in dev and tests). */
export const databaseFor = (config: Config) =>
  createDatabase({
    url: config.DATABASE_URL,
    wsProxy: config.NEON_WS_PROXY,
    httpEndpoint: config.NEON_HTTP_ENDPOINT,
    timeoutMs: config.DATABASE_TIMEOUT_MS,
  });

const cache = new WeakMap<object, Config>();

export function parseConfig(env: Env): Config {
  const hit = cache.get(env);
  if (hit) return hit;
  const result = checkedConfigSchema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join(".") || "env"}: ${i.message}`);
    throw new AppError("internal", `Invalid configuration — ${problems.join("; ")}`, {
      settings: result.error.issues.map((i) => i.path.join(".")),
    });
  }
  cache.set(env, result.data);
  return result.data;
}
