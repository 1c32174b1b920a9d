import type { AiBinding } from "../../../integrations/embeddings/workers-ai";
import { runModel } from "../../../integrations/embeddings/workers-ai";
import { type ModelTarget, modelRejected, postJson } from "../../../integrations/models/calls";
import { extractionMessages, fromModelAnswer, type ModelAnswer, modelAnswerJsonSchema, modelAnswerSchema } from "./llm-schema";
import type { Extraction, ExtractionInput, Extractor } from "./types";
import { MAX_ENTITIES, MAX_FACTS } from "./types";

/** Multilingual (Portuguese among its eight official languages), and JSON mode on Workers AI. */
export const DEFAULT_WORKERS_AI_EXTRACTION_MODEL = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
/** Supports json_schema structured outputs. */
export const DEFAULT_OPENAI_EXTRACTION_MODEL = "gpt-4o-mini";

/**
 * Characters per model call. Chunks (~800) and messages fit in one; a longer text is read in windows cut at
 * whitespace, each answer placed back at its window's offset. Past MAX_WINDOWS the rest is not read: extraction runs
 * per chunk and per message, so only an unusually long message gets there.
 */
const WINDOW = 6_000;
const MAX_WINDOWS = 8;
/** Workers AI's text models stop at 256 tokens unless told otherwise: far too few for a JSON answer. */
const MAX_ANSWER_TOKENS = 4_096;

/**
 * A language model behind a JSON-schema-constrained answer. The answer is validated with the schema it was
 * constrained by (providers do not all enforce it), then every item is checked against the text (llm-schema.ts).
 */
abstract class ModelExtractor implements Extractor {
  readonly semantic = true;
  abstract readonly id: string;
  protected abstract readonly target: ModelTarget;

  /** The model's answer for these messages, parsed from JSON but not yet validated. */
  protected abstract ask(messages: ReturnType<typeof extractionMessages>): Promise<unknown>;

  async extract(input: ExtractionInput): Promise<Extraction> {
    const out: Extraction = { entities: [], facts: [], relations: [] };
    for (const window of windows(input.text ?? "")) {
      if (out.entities.length >= MAX_ENTITIES) break;
      const part = { ...input, text: window.text };
      const answer = this.validated(await this.ask(extractionMessages(part)));
      const found = fromModelAnswer(answer, part, window.offset);
      out.entities.push(...found.entities);
      out.facts.push(...found.facts);
      out.relations.push(...found.relations.filter((r) => !out.relations.some((s) => sameRelation(r, s))));
    }
    out.entities = out.entities.slice(0, MAX_ENTITIES);
    out.facts = out.facts.slice(0, MAX_FACTS);
    return out;
  }

  private validated(answer: unknown): ModelAnswer {
    const parsed = modelAnswerSchema.safeParse(answer);
    if (parsed.success) return parsed.data;
    // Paths and codes only: zod's messages can quote the values, which come from the customer's text.
    const issues = parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), code: i.code }));
    throw modelRejected(this.target, "its answer does not follow the extraction schema", { issues });
  }
}

const sameRelation = (a: Extraction["relations"][number], b: Extraction["relations"][number]) =>
  a.type === b.type && a.entityType === b.entityType && a.entityKey === b.entityKey;

function* windows(text: string): Generator<{ text: string; offset: number }> {
  let offset = 0;
  for (let n = 0; n < MAX_WINDOWS && offset < text.length; n++) {
    let end = Math.min(text.length, offset + WINDOW);
    if (end < text.length) {
      const space = text.lastIndexOf(" ", end);
      if (space > offset + WINDOW / 2) end = space;
    }
    const slice = text.slice(offset, end);
    if (slice.trim()) yield { text: slice, offset };
    offset = end;
  }
}

/** JSON from a model's text answer. */
function parseJson(target: ModelTarget, content: unknown): unknown {
  if (typeof content !== "string") return content;
  try {
    return JSON.parse(content);
  } catch {
    throw modelRejected(target, "its answer is not JSON");
  }
}

/** `POST {base}/chat/completions` with `response_format: json_schema`: OpenAI, vLLM, Ollama, LiteLLM, llama.cpp… */
export class OpenAiExtractor extends ModelExtractor {
  readonly id: string;
  protected readonly target: ModelTarget;
  private readonly url: string;

  constructor(private readonly opts: { baseUrl: string; model?: string; apiKey?: string; timeoutMs: number }) {
    super();
    this.id = opts.model ?? DEFAULT_OPENAI_EXTRACTION_MODEL;
    this.target = { provider: "openai", model: this.id };
    this.url = `${opts.baseUrl.replace(/\/+$/, "")}/chat/completions`;
  }

  protected async ask(messages: ReturnType<typeof extractionMessages>): Promise<unknown> {
    const answer = await postJson(
      this.target,
      this.url,
      {
        model: this.id,
        messages,
        temperature: 0,
        response_format: { type: "json_schema", json_schema: { name: "extraction", strict: true, schema: modelAnswerJsonSchema() } },
      },
      { apiKey: this.opts.apiKey, timeoutMs: this.opts.timeoutMs },
    );
    const message = (answer as { choices?: { message?: { content?: unknown; refusal?: unknown } }[] } | null)?.choices?.[0]?.message;
    if (message?.refusal) throw modelRejected(this.target, "it refused to answer");
    if (typeof message?.content !== "string") throw modelRejected(this.target, "its answer has no message content");
    return parseJson(this.target, message.content);
  }
}

/** The AI binding's text-generation models in JSON mode (`response_format: {type: "json_schema", json_schema}`). */
export class WorkersAiExtractor extends ModelExtractor {
  readonly id: string;
  protected readonly target: ModelTarget;

  constructor(
    private readonly ai: AiBinding,
    private readonly opts: { model?: string; timeoutMs: number },
  ) {
    super();
    this.id = opts.model ?? DEFAULT_WORKERS_AI_EXTRACTION_MODEL;
    this.target = { provider: "workers-ai", model: this.id };
  }

  protected async ask(messages: ReturnType<typeof extractionMessages>): Promise<unknown> {
    const answer = await runModel(
      this.ai,
      this.target,
      {
        messages,
        temperature: 0,
        max_tokens: MAX_ANSWER_TOKENS,
        response_format: { type: "json_schema", json_schema: modelAnswerJsonSchema() },
      },
      this.opts.timeoutMs,
      "use EXTRACTION_PROVIDER=rules or openai",
    );
    // JSON mode answers `{response: <object>}`; some models give the object as a string, newer ones the OpenAI shape.
    const a = answer as { response?: unknown; choices?: { message?: { content?: unknown } }[] } | null;
    const content = a?.response ?? a?.choices?.[0]?.message?.content;
    if (content === undefined || content === null) throw modelRejected(this.target, "its answer has no `response`");
    return parseJson(this.target, content);
  }
}
