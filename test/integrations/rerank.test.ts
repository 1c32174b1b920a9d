import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { rerankerFor } from "../../src/integrations/embeddings";
import type { AiBinding } from "../../src/integrations/embeddings/workers-ai";
import { HttpReranker } from "../../src/integrations/rerank/http";
import { WorkersAiReranker } from "../../src/integrations/rerank/workers-ai";
import { configWith, failure, peerCalls, peerKey, peerUrl, queueFaults, uniqueModel } from "./model-peer";

const QUERY = "Qual o valor do contrato?";
const TEXTS = [
  "O boleto da fatura vence amanhã.",
  "O valor do contrato é R$ 12.500,00.",
  "Contratos assinados em março.",
  "Bom dia! Tudo bem?",
];

const reranker = (model: string, opts: { url?: string; apiKey?: string; timeoutMs?: number } = {}) =>
  new HttpReranker({
    url: opts.url ?? `${peerUrl()}/v1`,
    model,
    apiKey: "apiKey" in opts ? opts.apiKey : peerKey(),
    timeoutMs: opts.timeoutMs ?? 5_000,
  });

const ranking = (scores: number[]) =>
  scores
    .map((s, i) => [s, i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1])
    .map(([, i]) => i);

describe("HTTP (Cohere/Jina-compatible) reranker against the model peer", () => {
  it("scores every text in [0,1], in input order, ranked by lexical relevance", async () => {
    const scores = await reranker(uniqueModel("bge-reranker-v2-m3")).rerank(QUERY, TEXTS);
    expect(scores).toHaveLength(4);
    for (const s of scores) expect(s).toBeGreaterThanOrEqual(0);
    for (const s of scores) expect(s).toBeLessThanOrEqual(1);
    // Both content words > one word by its stem ("contratos") > nothing in common.
    expect(ranking(scores)).toEqual([1, 2, 0, 3]);
    expect(scores[1]).toBeCloseTo(1, 9);
    expect(scores[0]).toBe(0);
  });

  it("accepts the endpoint itself or a base URL", async () => {
    const model = uniqueModel("bge-reranker-v2-m3");
    const viaBase = await reranker(model, { url: `${peerUrl()}/v1/` }).rerank(QUERY, TEXTS);
    const viaEndpoint = await reranker(model, { url: `${peerUrl()}/v1/rerank` }).rerank(QUERY, TEXTS);
    expect(viaEndpoint).toEqual(viaBase);
    expect(await peerCalls(model)).toHaveLength(2);
  });

  it("maps raw logits to [0,1] with a sigmoid, keeping the order", async () => {
    const model = uniqueModel("bge-reranker-v2-m3");
    const probabilities = await reranker(model).rerank(QUERY, TEXTS);
    await queueFaults(model, "logits");
    const fromLogits = await reranker(model).rerank(QUERY, TEXTS);
    for (const s of fromLogits) expect(s).toBeGreaterThanOrEqual(0);
    for (const s of fromLogits) expect(s).toBeLessThanOrEqual(1);
    expect(ranking(fromLogits)).toEqual(ranking(probabilities));
    // The peer's logit is log(p/(1-p)) (with a small epsilon): the sigmoid gives p back.
    expect(fromLogits).toEqual(probabilities.map((p) => expect.closeTo(p, 2)));
  });

  it("sends at most 32 texts per request and puts every score back at its text's position", async () => {
    const model = uniqueModel("bge-reranker-v2-m3");
    const texts = Array.from({ length: 70 }, (_, i) => (i % 10 === 7 ? `o valor do contrato ${i}` : `mensagem ${i} sobre entrega`));
    const scores = await reranker(model).rerank(QUERY, texts);
    expect((await peerCalls(model)).map((c) => c.inputs).sort((a, b) => a - b)).toEqual([6, 32, 32]);
    expect(scores.flatMap((s, i) => (s > 0.9 ? [i] : []))).toEqual([7, 17, 27, 37, 47, 57, 67]);
  });

  it("makes no call for no texts, and refuses blank ones", async () => {
    const model = uniqueModel("bge-reranker-v2-m3");
    expect(await reranker(model).rerank(QUERY, [])).toEqual([]);
    expect((await failure(reranker(model).rerank(QUERY, ["ok", ""]))).code).toBe("invalid_request");
    expect((await failure(reranker(model).rerank(" ", ["ok"]))).code).toBe("invalid_request");
    expect(await peerCalls(model)).toEqual([]);
  });

  it("turns a 500 into `unavailable` and a hang into `unavailable` after the timeout", async () => {
    const model = uniqueModel("bge-reranker-v2-m3");
    await queueFaults(model, "500", "hang");
    const failed = await failure(reranker(model).rerank(QUERY, TEXTS));
    expect(failed.code).toBe("unavailable");
    expect(failed.message).toContain("HTTP 500");
    const hung = await failure(reranker(model, { timeoutMs: 300 }).rerank(QUERY, TEXTS));
    expect(hung.code).toBe("unavailable");
    expect(hung.message).toContain("no answer within 300 ms");
  });

  it("refuses an answer missing a text's score, and a rejected key (without echoing it)", async () => {
    const model = uniqueModel("bge-reranker-v2-m3");
    await queueFaults(model, "partial");
    const partial = await failure(reranker(model).rerank(QUERY, TEXTS));
    expect(partial.code).toBe("bad_gateway");
    expect(partial.message).toMatch(/no score for text \d/);
    const wrongKey = await failure(reranker(model, { apiKey: "rk-wrong-456" }).rerank(QUERY, TEXTS));
    expect(wrongKey.code).toBe("bad_gateway");
    expect(wrongKey.message).toContain("HTTP 401");
    expect(wrongKey.message).not.toContain("rk-wrong-456");
  });
});

describe("Workers AI reranker", () => {
  /** Answers as Workers AI documents bge-reranker-base: `{response: [{id, score}]}`, best first, cut to top_k. */
  const fakeAi = (scores: (text: string) => number, seen: Record<string, unknown>[] = []): AiBinding => ({
    async run(_model, inputs) {
      seen.push(inputs);
      const contexts = inputs.contexts as { text: string }[];
      const response = contexts.map((c, id) => ({ id, score: scores(c.text) })).sort((a, b) => b.score - a.score);
      return { response: response.slice(0, inputs.top_k as number) };
    },
  });

  it("asks for every context's score and returns them in input order", async () => {
    const seen: Record<string, unknown>[] = [];
    const scores = await new WorkersAiReranker(
      fakeAi((t) => (t.includes("valor") ? 0.9 : 0.2), seen),
      { timeoutMs: 1_000 },
    ).rerank(QUERY, TEXTS);
    expect(scores).toEqual([0.2, 0.9, 0.2, 0.2]);
    expect(seen[0]).toEqual({ query: QUERY, contexts: TEXTS.map((text) => ({ text })), top_k: 4 });
  });

  it("reads logits as logits: all through the sigmoid", async () => {
    const scores = await new WorkersAiReranker(
      fakeAi((t) => (t.includes("valor") ? 4 : -3)),
      { timeoutMs: 1_000 },
    ).rerank(QUERY, TEXTS);
    expect(scores[1]).toBeCloseTo(1 / (1 + Math.exp(-4)), 12);
    expect(scores[0]).toBeCloseTo(1 / (1 + Math.exp(3)), 12);
  });

  it("is bounded by its timeout even when the binding never settles", async () => {
    const never: AiBinding = { run: () => new Promise(() => {}) };
    const err = await failure(new WorkersAiReranker(never, { timeoutMs: 200 }).rerank(QUERY, TEXTS));
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("@cf/baai/bge-reranker-base");
  });
});

describe("reranker configuration", () => {
  it("has no reranker unless one is configured", () => {
    expect(rerankerFor(configWith({}), env)).toBeNull();
  });

  it("builds the http reranker from settings", async () => {
    const model = uniqueModel("jina-reranker-v2");
    const settings = { RERANK_PROVIDER: "http", RERANK_URL: `${peerUrl()}/v1/rerank`, RERANK_MODEL: model, RERANK_API_KEY: peerKey() };
    const built = rerankerFor(configWith(settings), env);
    expect(built?.model).toBe(model);
    expect(ranking(await built!.rerank(QUERY, TEXTS))[0]).toBe(1);
  });

  it("the workers-ai reranker fails clearly in local runs, where the AI binding cannot run", async () => {
    const built = rerankerFor(configWith({ RERANK_PROVIDER: "workers-ai", MODEL_TIMEOUT_MS: "5000" }), env);
    expect(built?.model).toBe("@cf/baai/bge-reranker-base");
    const err = await failure(built!.rerank(QUERY, TEXTS));
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("cannot run locally");
  });
});
