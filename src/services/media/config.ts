import { z } from "zod";

/** WhatsApp's own ceiling for media is 16 MiB (documents up to 100 MiB); beyond the cap a file is `too_large`. */
export const DEFAULT_MEDIA_MAX_BYTES = 16 * 1024 * 1024;

/**
 * Media storage and enrichment settings (part of the Worker's configuration, src/env.ts). Providers default to
 * `none`: dev, tests and CI record "no provider configured" for audio and images instead of inventing text; PDFs
 * and text files are always read (the memory service's own extraction).
 */
export const mediaSettings = {
  /**
   * Largest file stored from WhatsApp or the API; larger ones end `too_large` without being downloaded whole. At
   * most 32 MiB: a download is held in memory (pieces, then joined) and read again for enrichment, within a Worker's
   * 128 MB.
   */
  MEDIA_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(32 * 1024 * 1024)
    .default(DEFAULT_MEDIA_MAX_BYTES),
  /** Audio → transcript: `workers-ai` (Whisper via the AI binding), `openai` (OpenAI-compatible /audio/transcriptions) or `none`. */
  TRANSCRIPTION_PROVIDER: z.enum(["none", "workers-ai", "openai"]).default("none"),
  TRANSCRIPTION_MODEL: z.string().min(1).optional(),
  TRANSCRIPTION_BASE_URL: z.url({ protocol: /^https?$/, error: "TRANSCRIPTION_BASE_URL must be an http(s) URL" }).optional(),
  TRANSCRIPTION_API_KEY: z.string().min(1).optional(),
  /** Image → description and visible text: `workers-ai` (a vision model via the AI binding), `openai` (vision chat
   * completions) or `none`. */
  VISION_PROVIDER: z.enum(["none", "workers-ai", "openai"]).default("none"),
  VISION_MODEL: z.string().min(1).optional(),
  VISION_BASE_URL: z.url({ protocol: /^https?$/, error: "VISION_BASE_URL must be an http(s) URL" }).optional(),
  VISION_API_KEY: z.string().min(1).optional(),
  /** Upper bound of one download from WAHA and of one enrichment call (transcribing a long voice note takes a while). */
  MEDIA_TIMEOUT_MS: z.coerce.number().int().min(50).max(300_000).default(60_000),
};

export type MediaSettings = z.infer<z.ZodObject<typeof mediaSettings>>;

/** Settings that only make sense together, reported with the rest of the configuration. */
export function checkMediaSettings(s: MediaSettings, ctx: z.RefinementCtx) {
  for (const [provider, base] of [
    ["TRANSCRIPTION_PROVIDER", "TRANSCRIPTION_BASE_URL"],
    ["VISION_PROVIDER", "VISION_BASE_URL"],
  ] as const) {
    if (s[provider] === "openai" && !s[base]) {
      ctx.addIssue({
        code: "custom",
        path: [base],
        message: `${provider}=openai needs ${base} (e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1)`,
      });
    }
  }
}
