/**
 * A local model peer for laptops and tests. It speaks the OpenAI embeddings API (`POST /v1/embeddings`), the
 * Cohere/Jina rerank API (`POST /v1/rerank`) and OpenAI chat completions with json_schema answers
 * (`POST /v1/chat/completions`) — the protocols our `openai` embedder, `http` reranker and `openai` extractor call —
 * backed by the offline feature-hashing embedder, a lexical scorer and the rule-based extractor. Embeddings and
 * rerank answer under whatever model name they were asked for, so a client cannot tell from the body; chat answers
 * only models named `offline-rules…`, so nothing mistakes it for a language model. `GET /v1/models` and the
 * `x-model-peer` header on every answer say what it really is. Faults on demand (`POST /__peer/faults`) let tests
 * see a provider fail, hang or misbehave.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { embedOffline, OFFLINE_EMBEDDING_MODEL } from "../../src/integrations/embeddings/offline";
import { toModelAnswer } from "../../src/services/memory/extraction/llm-schema";
import { extractWithRules, RULES_EXTRACTOR_ID } from "../../src/services/memory/extraction/rules";
import type { ExtractionInput } from "../../src/services/memory/extraction/types";
import { readBody } from "../read-body";
import { lexicalRelevance } from "./lexical-score";

/**
 * What the next call for a model meets, one fault per call, in order:
 *  - `500`: an internal server error;
 *  - `hang`: the request is read and never answered — the client's timeout ends it;
 *  - `wrong-dimension`: embeddings of 384 dimensions instead of what was asked;
 *  - `logits`: rerank scores as raw logits (outside [0,1]), as some servers return them;
 *  - `partial`: fewer results than inputs;
 *  - `not-json`: a chat answer whose content is prose, not JSON;
 *  - `off-schema`: a chat answer that is JSON but not the requested schema;
 *  - `invented`: a chat answer that adds an entity and a fact quoting words the text does not contain.
 */
export type PeerFault = "500" | "hang" | "wrong-dimension" | "logits" | "partial" | "not-json" | "off-schema" | "invented";

export interface PeerCall {
  endpoint: "embeddings" | "rerank" | "chat" | "transcriptions" | "vision";
  model: string;
  /** Inputs in the request (texts to embed, documents to rerank, chat messages). */
  inputs: number;
  /** `dimensions` as sent, if any. */
  dimensions?: number;
  /** The first input as received (so tests can see the prompts a client adds); for chat, the last user message. */
  first?: string;
  fault?: PeerFault;
}

export interface ModelPeer {
  url: string;
  port: number;
  /** The bearer key required on /v1/* (none: any or no key is accepted). */
  apiKey?: string;
  calls: PeerCall[];
  /** Queues faults for calls naming this model (other models are unaffected, so concurrent test files do not collide). */
  fault(model: string, ...faults: PeerFault[]): void;
  close(): Promise<void>;
}

/**
 * Media stand-ins (WhatsApp media enrichment): they recognise no speech and see no image. They answer only models
 * named with these prefixes, and their text says what they are and what they received — never invented content.
 */
export const TRANSCRIBER_STAND_IN_PREFIX = "offline-stand-in-transcriber";
export const VISION_STAND_IN_PREFIX = "offline-stand-in-vision";
export const PEER_HEADER = "x-model-peer";
const PEER_IDENTITY = [
  "offline-stand-in",
  `embeddings=${OFFLINE_EMBEDDING_MODEL}`,
  "rerank=lexical-overlap",
  `chat=${RULES_EXTRACTOR_ID}`,
  `media=${TRANSCRIBER_STAND_IN_PREFIX},${VISION_STAND_IN_PREFIX} (no speech or image recognition)`,
  "not semantic",
].join("; ");
/** Chat models this peer answers: it is the rule-based extractor behind a chat API, and its model names must say so. */
export const RULES_CHAT_PREFIX = "offline-rules";
const MAX_INPUTS = 2048;
const DIMENSIONS = 768;

export async function startModelPeer(opts: { port?: number; apiKey?: string } = {}): Promise<ModelPeer> {
  const faults = new Map<string, PeerFault[]>();
  const calls: PeerCall[] = [];
  const nextFault = (model: string) => {
    const queue = faults.get(model);
    const fault = queue?.shift();
    if (queue && queue.length === 0) faults.delete(model);
    return fault;
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => json(res, 500, openAiError(String(err?.message ?? err), "server_error")));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "");
    if (req.method === "POST" && path === "/__peer/faults") {
      const body = parse(await readBody(req)) as { model?: unknown; faults?: unknown };
      if (typeof body?.model !== "string" || !Array.isArray(body.faults)) return json(res, 400, { error: "expected {model, faults: []}" });
      peer.fault(body.model, ...(body.faults as PeerFault[]));
      return json(res, 200, { model: body.model, queued: faults.get(body.model) ?? [] });
    }
    if (req.method === "GET" && path === "/__peer/calls") {
      const model = url.searchParams.get("model");
      return json(res, 200, model ? calls.filter((c) => c.model === model) : calls);
    }
    if (!path.startsWith("/v1/")) return json(res, 404, openAiError(`model peer: no route ${req.method} ${url.pathname}`, "not_found"));
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return json(res, 401, openAiError("Incorrect API key provided", "invalid_request_error", "invalid_api_key"));
    }
    if (req.method === "GET" && path === "/v1/models") {
      return json(res, 200, {
        object: "list",
        data: [
          {
            id: OFFLINE_EMBEDDING_MODEL,
            object: "model",
            owned_by: "ventros-model-peer",
            description: "Offline stand-in: answers under any requested model name with feature-hashing vectors, not semantic",
          },
          { id: "lexical-overlap", object: "model", owned_by: "ventros-model-peer", description: "Offline stand-in reranker" },
          {
            id: RULES_CHAT_PREFIX,
            object: "model",
            owned_by: "ventros-model-peer",
            description:
              `Chat models named ${RULES_CHAT_PREFIX}*: json_schema answers from the rule-based extractor ` +
              `(${RULES_EXTRACTOR_ID}), not a language model`,
          },
          {
            id: TRANSCRIBER_STAND_IN_PREFIX,
            object: "model",
            owned_by: "ventros-model-peer",
            description: `/v1/audio/transcriptions for ${TRANSCRIBER_STAND_IN_PREFIX}*: recognises no speech, says so`,
          },
          {
            id: VISION_STAND_IN_PREFIX,
            object: "model",
            owned_by: "ventros-model-peer",
            description: `vision chat for ${VISION_STAND_IN_PREFIX}*: sees no image, says so`,
          },
        ],
      });
    }
    if (req.method === "POST" && path === "/v1/embeddings") return embeddings(req, res);
    if (req.method === "POST" && path === "/v1/rerank") return rerank(req, res);
    if (req.method === "POST" && path === "/v1/chat/completions") return chat(req, res);
    if (req.method === "POST" && path === "/v1/audio/transcriptions") return transcriptions(req, res);
    return json(res, 404, openAiError(`model peer: no route ${req.method} ${url.pathname}`, "not_found"));
  }

  async function embeddings(req: IncomingMessage, res: ServerResponse) {
    const body = parse(await readBody(req)) as Record<string, unknown> | undefined;
    const model = body?.model;
    const input = typeof body?.input === "string" ? [body.input] : body?.input;
    if (typeof model !== "string" || !model) return json(res, 400, openAiError("'model' is required", "invalid_request_error"));
    if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS || !input.every((t) => typeof t === "string" && t)) {
      return json(res, 400, openAiError(`'input' must be 1..${MAX_INPUTS} non-empty strings`, "invalid_request_error"));
    }
    if (body?.encoding_format !== undefined && body.encoding_format !== "float") {
      return json(res, 400, openAiError("this stand-in only answers encoding_format=float", "invalid_request_error"));
    }
    const dimensions = body?.dimensions;
    if (
      dimensions !== undefined &&
      (typeof dimensions !== "number" || !Number.isInteger(dimensions) || dimensions < 1 || dimensions > DIMENSIONS)
    ) {
      return json(res, 400, openAiError(`'dimensions' must be an integer in 1..${DIMENSIONS}`, "invalid_request_error"));
    }
    const fault = nextFault(model);
    calls.push({
      endpoint: "embeddings",
      model,
      inputs: input.length,
      dimensions: dimensions as number | undefined,
      first: input[0],
      fault,
    });
    if (fault === "hang") return;
    if (fault === "500") return json(res, 500, openAiError("model peer: simulated failure", "server_error"));
    // Shorter vectors are the offline vector's first dimensions, renormalised: what Matryoshka truncation does.
    const size = fault === "wrong-dimension" ? 384 : ((dimensions as number | undefined) ?? DIMENSIONS);
    const texts = fault === "partial" ? input.slice(0, -1) : input;
    return json(res, 200, {
      object: "list",
      data: texts.map((text: string, index: number) => ({ object: "embedding", index, embedding: truncate(embedOffline(text), size) })),
      model,
      usage: { prompt_tokens: tokens(texts), total_tokens: tokens(texts) },
    });
  }

  async function rerank(req: IncomingMessage, res: ServerResponse) {
    const body = parse(await readBody(req)) as Record<string, unknown> | undefined;
    const model = body?.model;
    const query = body?.query;
    // Cohere takes strings; Jina and older Cohere versions also take {text} objects.
    const documents = Array.isArray(body?.documents)
      ? body.documents.map((d: unknown) => (typeof d === "string" ? d : (d as { text?: unknown })?.text))
      : undefined;
    if (typeof model !== "string" || !model) return json(res, 400, { message: "model is required" });
    if (typeof query !== "string" || !query.trim()) return json(res, 400, { message: "query must be a non-empty string" });
    if (!documents || documents.length === 0 || documents.length > MAX_INPUTS || !documents.every((d) => typeof d === "string")) {
      return json(res, 400, { message: `documents must be 1..${MAX_INPUTS} strings` });
    }
    const topN = typeof body?.top_n === "number" && body.top_n > 0 ? Math.min(body.top_n, documents.length) : documents.length;
    const fault = nextFault(model);
    calls.push({ endpoint: "rerank", model, inputs: documents.length, first: documents[0], fault });
    if (fault === "hang") return;
    if (fault === "500") return json(res, 500, { message: "model peer: simulated failure" });
    const scored = documents
      .map((text: string, index: number) => {
        const relevance = lexicalRelevance(query, text);
        // A logit whose sigmoid is the relevance, as raw cross-encoder outputs are.
        const logit = Math.log((relevance + 1e-3) / (1 - relevance + 1e-3));
        return {
          index,
          relevance_score: fault === "logits" ? logit : relevance,
          ...(body?.return_documents ? { document: { text } } : {}),
        };
      })
      .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index)
      .slice(0, fault === "partial" ? Math.max(0, topN - 1) : topN);
    return json(res, 200, { id: `rerank-${calls.length}`, model, results: scored, meta: { billed_units: { search_units: 1 } } });
  }

  /**
   * OpenAI chat completions, for extraction only: the last user message is read as the extractor's input (the JSON
   * `{text, known, speaker}` our client sends, or plain text) and answered with the rule-based extraction in the
   * requested answer format.
   */
  async function chat(req: IncomingMessage, res: ServerResponse) {
    const body = parse(await readBody(req)) as Record<string, unknown> | undefined;
    const model = body?.model;
    const messages = body?.messages;
    if (typeof model !== "string" || !model) return json(res, 400, openAiError("'model' is required", "invalid_request_error"));
    if (model.startsWith(VISION_STAND_IN_PREFIX)) return vision(res, model, messages);
    if (!model.startsWith(RULES_CHAT_PREFIX)) {
      const message = `The model '${model}' does not exist: this stand-in answers chat only for ${RULES_CHAT_PREFIX}* models`;
      return json(res, 404, openAiError(message, "invalid_request_error", "model_not_found"));
    }
    if (!Array.isArray(messages) || messages.length === 0) {
      return json(res, 400, openAiError("'messages' must be a non-empty list", "invalid_request_error"));
    }
    const format = body?.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
    if (format?.type !== "json_schema" || typeof format.json_schema?.schema !== "object") {
      return json(res, 400, openAiError("this stand-in only answers response_format json_schema", "invalid_request_error"));
    }
    const lastUser = [...messages].reverse().find((m) => m?.role === "user");
    const content = textOf(lastUser?.content);
    if (content === undefined) return json(res, 400, openAiError("no user message with text content", "invalid_request_error"));
    const input = extractionInput(content);
    const fault = nextFault(model);
    calls.push({ endpoint: "chat", model, inputs: messages.length, first: input.text, fault });
    if (fault === "hang") return;
    if (fault === "500") return json(res, 500, openAiError("model peer: simulated failure", "server_error"));
    const answer = toModelAnswer(extractWithRules(input));
    if (fault === "invented") {
      answer.entities.push({ type: "company", text: "Umbrella Corporation", name: "Umbrella Corporation" });
      answer.facts.push({ factKey: "attribute.employer", value: "Umbrella Corporation", quote: "trabalho na Umbrella Corporation" });
    }
    const text =
      fault === "not-json"
        ? "Claro! Aqui estão as entidades que encontrei no texto."
        : JSON.stringify(fault === "off-schema" ? { entities: "none", facts: [{ factKey: "preference.mood" }] } : answer);
    return json(res, 200, {
      id: `chatcmpl-${calls.length}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: "assistant", content: text, refusal: null }, finish_reason: "stop" }],
      usage: { prompt_tokens: tokens([content]), completion_tokens: tokens([text]), total_tokens: tokens([content, text]) },
    });
  }

  /**
   * OpenAI `POST /v1/audio/transcriptions` (multipart `file`, `model`), for `offline-stand-in-transcriber*` models:
   * the "transcript" states that no speech was recognised and describes the file received.
   */
  async function transcriptions(req: IncomingMessage, res: ServerResponse) {
    const raw = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks)));
      req.on("error", reject);
    });
    let form: FormData;
    try {
      form = await new Response(raw, { headers: { "content-type": String(req.headers["content-type"] ?? "") } }).formData();
    } catch {
      return json(res, 400, openAiError("expected multipart/form-data with `file` and `model`", "invalid_request_error"));
    }
    const model = form.get("model");
    const file = form.get("file");
    if (typeof model !== "string" || !model) return json(res, 400, openAiError("'model' is required", "invalid_request_error"));
    if (!model.startsWith(TRANSCRIBER_STAND_IN_PREFIX)) {
      const message = `The model '${model}' does not exist: this stand-in transcribes only for ${TRANSCRIBER_STAND_IN_PREFIX}* models`;
      return json(res, 404, openAiError(message, "invalid_request_error", "model_not_found"));
    }
    if (!(file instanceof Blob) || file.size === 0) return json(res, 400, openAiError("'file' is required", "invalid_request_error"));
    const fault = nextFault(model);
    calls.push({ endpoint: "transcriptions", model, inputs: 1, first: `${file.type} ${file.size}`, fault });
    if (fault === "hang") return;
    if (fault === "500") return json(res, 500, openAiError("model peer: simulated failure", "server_error"));
    if (fault === "not-json") {
      res.writeHead(200, { "content-type": "text/plain" }).end("transcript");
      return;
    }
    return json(res, 200, {
      text: `[${model}: a stand-in that recognises no speech; received ${file.size} bytes of ${file.type || "audio"}]`,
    });
  }

  /** Vision chat completions for `offline-stand-in-vision*` models: says it sees nothing, reads no text. */
  function vision(res: ServerResponse, model: string, messages: unknown) {
    const parts = Array.isArray(messages) ? messages.flatMap((m) => (Array.isArray(m?.content) ? m.content : [])) : [];
    const image = parts.find((p: { type?: unknown }) => p?.type === "image_url") as { image_url?: { url?: unknown } } | undefined;
    const url = typeof image?.image_url?.url === "string" ? image.image_url.url : "";
    const match = /^data:([^;,]+);base64,(.*)$/s.exec(url);
    if (!match) return json(res, 400, openAiError("expected an image_url content part with a base64 data URL", "invalid_request_error"));
    const bytes = Buffer.from(match[2]!, "base64").length;
    const fault = nextFault(model);
    calls.push({ endpoint: "vision", model, inputs: 1, first: `${match[1]} ${bytes}`, fault });
    if (fault === "hang") return;
    if (fault === "500") return json(res, 500, openAiError("model peer: simulated failure", "server_error"));
    const content = JSON.stringify({
      description: `[${model}: a stand-in that sees no image; received ${bytes} bytes of ${match[1]}]`,
      visible_text: null,
    });
    return json(res, 200, {
      id: `chatcmpl-${calls.length}`,
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model,
      choices: [{ index: 0, message: { role: "assistant", content, refusal: null }, finish_reason: "stop" }],
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;

  const peer: ModelPeer = {
    url: `http://127.0.0.1:${port}`,
    port,
    apiKey: opts.apiKey,
    calls,
    fault(model, ...more) {
      faults.set(model, [...(faults.get(model) ?? []), ...more]);
    },
    async close() {
      // Hanging requests (the `hang` fault) would otherwise keep the server open.
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return peer;
}

/** A chat message's text: a string, or the text parts of a content list. */
function textOf(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return undefined;
  const parts = content.filter((p) => p?.type === "text" && typeof p.text === "string").map((p) => p.text as string);
  return parts.length ? parts.join("\n") : undefined;
}

function extractionInput(content: string): ExtractionInput {
  const asJson = parse(content) as Partial<ExtractionInput> | undefined;
  if (typeof asJson?.text !== "string") return { text: content };
  const speaker = ["contact", "agent", "document"].includes(asJson.speaker as string) ? asJson.speaker : undefined;
  return { text: asJson.text, known: Array.isArray(asJson.known) ? asJson.known : undefined, speaker };
}

function truncate(vector: number[], size: number): number[] {
  if (size >= vector.length) return vector;
  const head = vector.slice(0, size);
  const norm = Math.hypot(...head) || 1;
  return head.map((x) => x / norm);
}

const tokens = (texts: string[]) => texts.reduce((n, t) => n + t.split(/\s+/).filter(Boolean).length, 0);

function openAiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", [PEER_HEADER]: PEER_IDENTITY });
  res.end(JSON.stringify(body));
}

// `tsx scripts/model-peer/server.ts` runs it on its own (MODEL_PEER_PORT, MODEL_PEER_API_KEY), e.g. for `npm run dev`
// with EMBEDDING_PROVIDER=openai EMBEDDING_BASE_URL=http://127.0.0.1:<port>/v1.
if (import.meta.url === `file://${process.argv[1]}`) {
  const peer = await startModelPeer({
    port: Number(process.env.MODEL_PEER_PORT ?? 0) || undefined,
    apiKey: process.env.MODEL_PEER_API_KEY || undefined,
  });
  console.log(`model peer (offline stand-in) at ${peer.url}/v1`);
}
