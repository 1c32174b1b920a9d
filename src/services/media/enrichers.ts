import { aiBinding } from "../../integrations/embeddings";
import type { AiBinding } from "../../integrations/embeddings/workers-ai";
import { runModel } from "../../integrations/embeddings/workers-ai";
import { fetchJson, type ModelTarget, modelRejected } from "../../integrations/models/calls";
import type { MediaSettings } from "./config";

/** What one file is: its bytes, the sniffed type and the name it came with. */
export interface MediaFile {
  bytes: Uint8Array;
  mimeType: string;
  filename?: string | null;
}

export interface Transcript {
  text: string;
  language?: string | null;
}

export interface ImageReading {
  description: string;
  /** Text visible in the image (a boleto's line, a sign), or null when there is none. */
  visibleText: string | null;
}

/** Audio → text. Failures are `AppError`s: 503 `unavailable` (retry later) or 502 `bad_gateway` (configuration). */
export interface Transcriber {
  readonly provider: string;
  readonly model: string;
  transcribe(file: MediaFile): Promise<Transcript>;
}

/** Image → what it shows and the text in it. */
export interface ImageDescriber {
  readonly provider: string;
  readonly model: string;
  describe(file: MediaFile): Promise<ImageReading>;
}

export const DEFAULT_WORKERS_AI_TRANSCRIPTION_MODEL = "@cf/openai/whisper-large-v3-turbo";
export const DEFAULT_OPENAI_TRANSCRIPTION_MODEL = "whisper-1";
export const DEFAULT_WORKERS_AI_VISION_MODEL = "@cf/meta/llama-3.2-11b-vision-instruct";
export const DEFAULT_OPENAI_VISION_MODEL = "gpt-4o-mini";

const VISION_PROMPT =
  "You read images customers send to a business on WhatsApp (often Brazilian Portuguese). Answer only with JSON " +
  '{"description": "<one or two sentences on what the image shows, in the language of any text in it, else Portuguese>", ' +
  '"visible_text": "<all legible text in the image, verbatim, or null>"}. Never guess text you cannot read.';

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** A model's JSON answer, or the whole answer as the description when it did not follow the format. */
export function readingFrom(target: ModelTarget, text: unknown): ImageReading {
  if (typeof text !== "string" || !text.trim()) throw modelRejected(target, "it answered without a description");
  const json = text.match(/\{[\s\S]*\}/)?.[0];
  if (json) {
    try {
      const parsed = JSON.parse(json) as { description?: unknown; visible_text?: unknown; visibleText?: unknown };
      const visible = parsed.visible_text ?? parsed.visibleText;
      if (typeof parsed.description === "string" && parsed.description.trim()) {
        return {
          description: parsed.description.trim().slice(0, 4000),
          visibleText: typeof visible === "string" && visible.trim() ? visible.trim().slice(0, 8000) : null,
        };
      }
    } catch {
      // Not JSON after all: the answer itself is the description.
    }
  }
  return { description: text.trim().slice(0, 4000), visibleText: null };
}

function transcriptFrom(target: ModelTarget, answer: unknown): Transcript {
  const a = answer as { text?: unknown; language?: unknown; transcription_info?: { language?: unknown } } | null;
  if (typeof a?.text !== "string") throw modelRejected(target, "it answered without a transcript");
  const language = typeof a.language === "string" ? a.language : a.transcription_info?.language;
  return { text: a.text.trim(), language: typeof language === "string" ? language : null };
}

/** Workers AI Whisper (`@cf/openai/whisper-large-v3-turbo`: base64 audio in, `{text, transcription_info}` out). */
export class WorkersAiTranscriber implements Transcriber {
  readonly provider = "workers-ai";
  readonly model: string;
  constructor(
    private readonly ai: AiBinding,
    private readonly opts: { model?: string; timeoutMs: number },
  ) {
    this.model = opts.model ?? DEFAULT_WORKERS_AI_TRANSCRIPTION_MODEL;
  }
  async transcribe(file: MediaFile): Promise<Transcript> {
    const target = { provider: this.provider, model: this.model };
    // The turbo model takes base64; the original `@cf/openai/whisper` takes the bytes as an array.
    const audio = this.model.includes("turbo") ? base64(file.bytes) : [...file.bytes];
    const answer = await runModel(this.ai, target, { audio }, this.opts.timeoutMs, "set TRANSCRIPTION_PROVIDER=openai or none");
    return transcriptFrom(target, answer);
  }
}

/** A Workers AI vision model (`@cf/meta/llama-3.2-11b-vision-instruct`: messages + image bytes, `{response}` out). */
export class WorkersAiImageDescriber implements ImageDescriber {
  readonly provider = "workers-ai";
  readonly model: string;
  constructor(
    private readonly ai: AiBinding,
    private readonly opts: { model?: string; timeoutMs: number },
  ) {
    this.model = opts.model ?? DEFAULT_WORKERS_AI_VISION_MODEL;
  }
  async describe(file: MediaFile): Promise<ImageReading> {
    const target = { provider: this.provider, model: this.model };
    const answer = await runModel(
      this.ai,
      target,
      { messages: [{ role: "user", content: VISION_PROMPT }], image: [...file.bytes], max_tokens: 600 },
      this.opts.timeoutMs,
      "set VISION_PROVIDER=openai or none",
    );
    return readingFrom(target, (answer as { response?: unknown } | null)?.response);
  }
}

const auth = (apiKey?: string): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});

/** Any OpenAI-compatible `POST {base}/audio/transcriptions` (multipart `file`, `model`; JSON `{text}` back). */
export class OpenAiTranscriber implements Transcriber {
  readonly provider = "openai";
  readonly model: string;
  constructor(private readonly opts: { baseUrl: string; model?: string; apiKey?: string; timeoutMs: number }) {
    this.model = opts.model ?? DEFAULT_OPENAI_TRANSCRIPTION_MODEL;
  }
  async transcribe(file: MediaFile): Promise<Transcript> {
    const target = { provider: this.provider, model: this.model };
    const form = new FormData();
    form.append("file", new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mimeType }), file.filename || "audio");
    form.append("model", this.model);
    form.append("response_format", "json");
    const url = `${this.opts.baseUrl.replace(/\/+$/, "")}/audio/transcriptions`;
    const answer = await fetchJson(
      target,
      url,
      { method: "POST", headers: { accept: "application/json", ...auth(this.opts.apiKey) }, body: form },
      this.opts.timeoutMs,
    );
    return transcriptFrom(target, answer);
  }
}

/** Any OpenAI-compatible vision chat completion (`image_url` with a data URL). */
export class OpenAiImageDescriber implements ImageDescriber {
  readonly provider = "openai";
  readonly model: string;
  constructor(private readonly opts: { baseUrl: string; model?: string; apiKey?: string; timeoutMs: number }) {
    this.model = opts.model ?? DEFAULT_OPENAI_VISION_MODEL;
  }
  async describe(file: MediaFile): Promise<ImageReading> {
    const target = { provider: this.provider, model: this.model };
    const body = {
      model: this.model,
      temperature: 0,
      max_tokens: 600,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: VISION_PROMPT },
            { type: "image_url", image_url: { url: `data:${file.mimeType};base64,${base64(file.bytes)}` } },
          ],
        },
      ],
    };
    const url = `${this.opts.baseUrl.replace(/\/+$/, "")}/chat/completions`;
    const answer = await fetchJson(
      target,
      url,
      {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...auth(this.opts.apiKey) },
        body: JSON.stringify(body),
      },
      this.opts.timeoutMs,
    );
    const content = (answer as { choices?: { message?: { content?: unknown } }[] } | null)?.choices?.[0]?.message?.content;
    return readingFrom(target, content);
  }
}

/** The transcriber this deployment is configured for, or null (`none`: "no provider configured"). */
export function transcriberFor(config: MediaSettings, env: { AI?: unknown }): Transcriber | null {
  const timeoutMs = config.MEDIA_TIMEOUT_MS;
  switch (config.TRANSCRIPTION_PROVIDER) {
    case "none":
      return null;
    case "workers-ai":
      return new WorkersAiTranscriber(aiBinding(env, "TRANSCRIPTION_PROVIDER"), { model: config.TRANSCRIPTION_MODEL, timeoutMs });
    case "openai":
      return new OpenAiTranscriber({
        baseUrl: config.TRANSCRIPTION_BASE_URL!,
        model: config.TRANSCRIPTION_MODEL,
        apiKey: config.TRANSCRIPTION_API_KEY,
        timeoutMs,
      });
  }
}

/** The image describer this deployment is configured for, or null (`none`: "no provider configured"). */
export function imageDescriberFor(config: MediaSettings, env: { AI?: unknown }): ImageDescriber | null {
  const timeoutMs = config.MEDIA_TIMEOUT_MS;
  switch (config.VISION_PROVIDER) {
    case "none":
      return null;
    case "workers-ai":
      return new WorkersAiImageDescriber(aiBinding(env, "VISION_PROVIDER"), { model: config.VISION_MODEL, timeoutMs });
    case "openai":
      return new OpenAiImageDescriber({
        baseUrl: config.VISION_BASE_URL!,
        model: config.VISION_MODEL,
        apiKey: config.VISION_API_KEY,
        timeoutMs,
      });
  }
}
