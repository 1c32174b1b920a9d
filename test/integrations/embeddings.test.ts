import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EMBEDDING_DIMENSIONS } from "../../src/db/schema/memory";
import { embedderFor } from "../../src/integrations/embeddings";
import { embedOffline, OFFLINE_EMBEDDING_MODEL, OfflineEmbedder } from "../../src/integrations/embeddings/offline";
import { OpenAiEmbedder } from "../../src/integrations/embeddings/openai";
import { type AiBinding, WorkersAiEmbedder } from "../../src/integrations/embeddings/workers-ai";
import { AppError } from "../../src/lib/errors";
import { configWith, dot, failure, norm, peerCalls, peerKey, peerUrl, queueFaults, uniqueModel } from "./model-peer";

const offline = new OfflineEmbedder();
const one = async (text: string) => (await offline.embed([text], "document"))[0]!;

describe("offline embedder", () => {
  it("says what it is: 768-d feature hashing, not semantic", () => {
    expect(offline.model).toBe(OFFLINE_EMBEDDING_MODEL);
    expect(offline.model).toMatch(/offline-feature-hash-768/);
    expect(offline.dimensions).toBe(EMBEDDING_DIMENSIONS);
    expect(offline.semantic).toBe(false);
  });

  it("is deterministic, 768-d and unit length; query and document kinds embed alike", async () => {
    const text = "Qual o valor do contrato que enviamos? R$ 12.500,00 😀";
    const [a] = await offline.embed([text], "document");
    const [b] = await new OfflineEmbedder().embed([text], "query");
    expect(a).toHaveLength(768);
    expect(a).toEqual(b);
    expect(norm(a!)).toBeCloseTo(1, 12);
    expect(a!.filter((x) => x !== 0).length).toBeGreaterThan(50);
  });

  it("ignores accents and case", async () => {
    expect(dot(await one("contrato"), await one("contráto"))).toBeCloseTo(1, 12);
    expect(dot(await one("Ação judicial"), await one("ACAO JUDICIAL"))).toBeCloseTo(1, 12);
  });

  it("scores words that share n-grams above unrelated words, and related sentences above unrelated ones", async () => {
    const contrato = await one("contrato");
    expect(dot(contrato, await one("contratos"))).toBeGreaterThan(0.4);
    expect(dot(contrato, await one("contratos"))).toBeGreaterThan(dot(contrato, await one("boleto")) + 0.3);
    const question = await one("Qual o valor do contrato?");
    const answer = await one("O valor do contrato é R$ 12.500,00, assinado em março.");
    const other = await one("O boleto da fatura vence amanhã.");
    expect(dot(question, answer)).toBeGreaterThan(dot(question, other) + 0.2);
  });

  it("keeps input order across any number of texts", async () => {
    const texts = Array.from({ length: 250 }, (_, i) => `mensagem número ${i} sobre o pedido ${i * 7}`);
    const vectors = await offline.embed(texts, "document");
    expect(vectors).toHaveLength(250);
    expect(vectors[137]).toEqual(await one(texts[137]!));
  });

  it("embeds text without words (only punctuation) to a unit vector, and refuses blank text", async () => {
    expect(norm(await one("?!..."))).toBeCloseTo(1, 12);
    const err = await failure(offline.embed(["ok", "   "], "document"));
    expect(err.code).toBe("invalid_request");
    expect(err.message).toContain("item 1");
  });
});

describe("OpenAI-compatible embedder against the model peer", () => {
  const embedder = (model: string, opts: { apiKey?: string; timeoutMs?: number; baseUrl?: string } = {}) =>
    new OpenAiEmbedder({
      baseUrl: opts.baseUrl ?? `${peerUrl()}/v1`,
      model,
      apiKey: "apiKey" in opts ? opts.apiKey : peerKey(),
      timeoutMs: opts.timeoutMs ?? 5_000,
    });

  it("returns unit vectors in input order, batching 32 texts per request, and asks truncatable models for 768", async () => {
    const model = uniqueModel("text-embedding-3-small");
    const texts = Array.from({ length: 70 }, (_, i) => `documento ${i}: contrato de prestação de serviços nº ${i}`);
    const vectors = await embedder(model).embed(texts, "document");
    expect(vectors).toHaveLength(70);
    for (const v of vectors) expect(norm(v)).toBeCloseTo(1, 9);
    // The peer embeds in Node with the same offline hashing: the vectors match the ones computed here, in workerd
    // (to the last bits, which the client's own normalisation may move).
    expect(vectors[0]).toEqual((await one(texts[0]!)).map((x) => expect.closeTo(x, 12)));
    expect(vectors[69]).toEqual((await one(texts[69]!)).map((x) => expect.closeTo(x, 12)));
    const calls = await peerCalls(model);
    expect(calls.map((c) => c.inputs)).toEqual([32, 32, 6]);
    expect(calls.every((c) => c.dimensions === 768)).toBe(true);
  });

  it("adds EmbeddingGemma's task prompts, and sends no `dimensions` to models that cannot truncate", async () => {
    const gemma = uniqueModel("embeddinggemma");
    await embedder(gemma).embed(["qual o valor do contrato?"], "query");
    await embedder(gemma).embed(["O valor é R$ 12.500,00"], "document");
    expect((await peerCalls(gemma)).map((c) => c.first)).toEqual([
      "task: search result | query: qual o valor do contrato?",
      "title: none | text: O valor é R$ 12.500,00",
    ]);
    const plain = uniqueModel("bge-base-pt");
    await embedder(plain).embed(["contrato"], "query");
    expect(await peerCalls(plain)).toEqual([expect.objectContaining({ first: "contrato", inputs: 1 })]);
    expect((await peerCalls(plain))[0]!.dimensions).toBeUndefined();
  });

  it("turns a 500 into `unavailable`, naming the provider and model but no secret", async () => {
    const model = uniqueModel("text-embedding-3-small");
    await queueFaults(model, "500");
    const err = await failure(embedder(model).embed(["contrato"], "query"));
    expect(err.code).toBe("unavailable");
    expect(err.status).toBe(503);
    expect(err.message).toContain(model);
    expect(err.message).toContain("HTTP 500");
    expect(err.message).not.toContain(peerKey());
    expect(err.message).not.toContain(peerUrl());
    // The fault was for one call only: the next one succeeds.
    expect(await embedder(model).embed(["contrato"], "query")).toHaveLength(1);
  });

  it("refuses vectors of the wrong dimension with a clear error", async () => {
    const model = uniqueModel("text-embedding-3-small");
    await queueFaults(model, "wrong-dimension");
    const err = await failure(embedder(model).embed(["contrato", "boleto"], "document"));
    expect(err.code).toBe("bad_gateway");
    expect(err.message).toMatch(/returned 384 dimensions .* stored with 768/);
  });

  it("refuses an answer with fewer vectors than texts", async () => {
    const model = uniqueModel("text-embedding-3-small");
    await queueFaults(model, "partial");
    const err = await failure(embedder(model).embed(["a contrato", "b boleto"], "document"));
    expect(err.code).toBe("bad_gateway");
    expect(err.message).toContain("expected 2 embeddings, got 1");
  });

  it("gives up on a peer that never answers after MODEL_TIMEOUT_MS", async () => {
    const model = uniqueModel("text-embedding-3-small");
    await queueFaults(model, "hang");
    const err = await failure(embedder(model, { timeoutMs: 300 }).embed(["contrato"], "query"));
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("no answer within 300 ms");
  });

  it("reports a rejected key as a configuration problem, without the key", async () => {
    const model = uniqueModel("text-embedding-3-small");
    const wrong = await failure(embedder(model, { apiKey: "sk-wrong-key-123" }).embed(["contrato"], "query"));
    expect(wrong.code).toBe("bad_gateway");
    expect(wrong.message).toContain("HTTP 401 (check the API key)");
    expect(wrong.message).not.toContain("sk-wrong-key-123");
    const missing = await failure(embedder(model, { apiKey: undefined }).embed(["contrato"], "query"));
    expect(missing.message).toContain("HTTP 401");
  });

  it("reports a refused connection as `unavailable`", async () => {
    const err = await failure(embedder("text-embedding-3-small", { baseUrl: "http://127.0.0.1:1/v1" }).embed(["contrato"], "query"));
    expect(err.code).toBe("unavailable");
  });
});

describe("Workers AI embedder", () => {
  /**
   * A stand-in for the AI binding answering as Workers AI documents text-embedding models
   * (`{text: string[]}` → `{shape, data}`), with vectors of its own scale: the embedder must normalise them.
   */
  const fakeAi = (seen: Record<string, unknown>[]): AiBinding => ({
    async run(_model, inputs) {
      seen.push(inputs);
      const data = (inputs.text as string[]).map((t) => embedOffline(t).map((x) => x * 3));
      return { shape: [data.length, 768], data };
    },
  });

  it("sends EmbeddingGemma's prompts in batches of 100 and normalises what comes back", async () => {
    const texts = Array.from({ length: 150 }, (_, i) => `trecho ${i} do manual`);
    const seen: Record<string, unknown>[] = [];
    const vectors = await new WorkersAiEmbedder(fakeAi(seen), { timeoutMs: 1_000 }).embed(texts, "document");
    expect(seen.map((s) => (s.text as string[]).length)).toEqual([100, 50]);
    expect((seen[1]!.text as string[])[20]).toBe("title: none | text: trecho 120 do manual");
    expect(vectors).toHaveLength(150);
    expect(norm(vectors[120]!)).toBeCloseTo(1, 12);
    expect(dot(vectors[120]!, embedOffline("title: none | text: trecho 120 do manual"))).toBeCloseTo(1, 12);
  });

  it("is bounded by its timeout even when the binding never settles", async () => {
    const never: AiBinding = { run: () => new Promise(() => {}) };
    const err = await failure(new WorkersAiEmbedder(never, { timeoutMs: 200 }).embed(["contrato"], "query"));
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("@cf/google/embeddinggemma-300m");
  });

  it("in local runs, the real AI binding exists but says clearly that it cannot run here", async () => {
    expect((env as unknown as { AI?: unknown }).AI).toBeDefined();
    const embedder = embedderFor(configWith({ EMBEDDING_PROVIDER: "workers-ai", MODEL_TIMEOUT_MS: "5000" }), env);
    expect(embedder.model).toBe("@cf/google/embeddinggemma-300m");
    const err = await failure(embedder.embed(["contrato"], "query"));
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("cannot run locally");
  });

  it("without an AI binding, workers-ai is a configuration error naming the binding", () => {
    expect(() => embedderFor(configWith({ EMBEDDING_PROVIDER: "workers-ai" }), {})).toThrow(/needs the AI binding/);
  });
});

describe("embedding configuration", () => {
  it("defaults to the offline embedder, no reranker and a 10 s bound", () => {
    const config = configWith({});
    expect(config.EMBEDDING_PROVIDER).toBe("offline");
    expect(config.RERANK_PROVIDER).toBe("none");
    expect(config.MODEL_TIMEOUT_MS).toBe(10_000);
    expect(embedderFor(config, env).model).toBe(OFFLINE_EMBEDDING_MODEL);
  });

  it("builds the openai embedder from settings, bounded by MODEL_TIMEOUT_MS", async () => {
    const model = uniqueModel("text-embedding-3-small");
    const settings = {
      EMBEDDING_PROVIDER: "openai",
      EMBEDDING_BASE_URL: `${peerUrl()}/v1`,
      EMBEDDING_MODEL: model,
      EMBEDDING_API_KEY: peerKey(),
      MODEL_TIMEOUT_MS: "250",
    };
    const embedder = embedderFor(configWith(settings), env);
    expect(embedder).toMatchObject({ model, semantic: true, dimensions: 768 });
    expect(await embedder.embed(["contrato"], "query")).toHaveLength(1);
    await queueFaults(model, "hang");
    expect((await failure(embedder.embed(["contrato"], "query"))).message).toContain("no answer within 250 ms");
  });

  it.each([
    [{ EMBEDDING_PROVIDER: "openai" }, "EMBEDDING_BASE_URL", /EMBEDDING_PROVIDER=openai needs EMBEDDING_BASE_URL/],
    [{ EMBEDDING_PROVIDER: "openai", EMBEDDING_BASE_URL: "ftp://models.example" }, "EMBEDDING_BASE_URL", /http\(s\) URL/],
    [{ EMBEDDING_PROVIDER: "vertex" }, "EMBEDDING_PROVIDER", /EMBEDDING_PROVIDER/],
    [{ EMBEDDING_MODEL: "text-embedding-3-small" }, "EMBEDDING_MODEL", /offline has one model/],
    [{ RERANK_PROVIDER: "http" }, "RERANK_URL", /RERANK_PROVIDER=http needs RERANK_URL/],
    [{ RERANK_PROVIDER: "cohere" }, "RERANK_PROVIDER", /RERANK_PROVIDER/],
    [{ MODEL_TIMEOUT_MS: "10" }, "MODEL_TIMEOUT_MS", /MODEL_TIMEOUT_MS/],
  ])("refuses %o, naming %s", (settings, setting, message) => {
    let err: unknown;
    try {
      configWith(settings);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).message).toMatch(message);
    expect((err as AppError).details).toMatchObject({ settings: expect.arrayContaining([setting]) });
  });
});
