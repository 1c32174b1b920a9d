import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AiBinding } from "../../src/integrations/embeddings/workers-ai";
import { AppError } from "../../src/lib/errors";
import { extractorFor } from "../../src/services/memory/extraction/config";
import { OpenAiExtractor, WorkersAiExtractor } from "../../src/services/memory/extraction/llm";
import { modelAnswerJsonSchema, toModelAnswer } from "../../src/services/memory/extraction/llm-schema";
import { extractWithRules, RULES_EXTRACTOR_ID } from "../../src/services/memory/extraction/rules";
import type { Extraction, ExtractionInput, KnownName } from "../../src/services/memory/extraction/types";
import { configWith, failure, peerCalls, peerKey, peerUrl, queueFaults, uniqueModel } from "./model-peer";

const known: KnownName[] = [
  { type: "company", name: "Acme Ltda" },
  { type: "product", name: "Plano Pro", aliases: ["Pro"] },
];
const TEXT =
  "Oi, meu nome é Ana Souza e trabalho na Acme. Prefiro pagar com PIX, não posso pagar mais de R$ 2.500,00. " +
  "Meu e-mail é ana@acme.com.br, CPF 529.982.247-25, contrato assinado em 15/10/2024. Tenho interesse no Pro.";
const INPUT: ExtractionInput = { text: TEXT, known };

/** What an extraction says, without the confidences (a model's are ours to set, and lower than the rules'). */
const shape = (r: Extraction) => ({
  entities: r.entities.map(({ confidence: _, ...e }) => e),
  facts: r.facts.map(({ confidence: _, ...f }) => f),
  relations: r.relations.map(({ confidence: _, ...x }) => x),
});

/** The local peer answers chat only for models named offline-rules…: the rule-based extractor behind a chat API. */
const rulesModel = () => uniqueModel("offline-rules");

describe("OpenAI-compatible extractor against the model peer", () => {
  const extractor = (model: string, opts: { apiKey?: string; timeoutMs?: number } = {}) =>
    new OpenAiExtractor({
      baseUrl: `${peerUrl()}/v1`,
      model,
      apiKey: "apiKey" in opts ? opts.apiKey : peerKey(),
      timeoutMs: opts.timeoutMs ?? 5_000,
    });

  it("extracts over real HTTP what the answer says, located in the text and keyed by our rules", async () => {
    const model = rulesModel();
    const llm = extractor(model);
    expect(llm).toMatchObject({ id: model, semantic: true });
    const result = await llm.extract(INPUT);
    // The stand-in answers with the rule-based extraction, so the round trip through the schema must give it back.
    expect(shape(result)).toEqual(shape(extractWithRules(INPUT)));
    expect(result.facts.map((f) => f.factKey)).toEqual([
      "attribute.contact.name",
      "attribute.employer",
      "preference.payment.method",
      "constraint.budget.max",
      "attribute.contact.email",
      "preference.product.interest",
    ]);
    for (const e of result.entities) expect(TEXT.slice(e.start, e.end)).toBe(e.text);
    // Parsed values are confirmed by our own parsing; names and facts are the model's word, trusted less.
    expect(result.entities.find((e) => e.type === "tax_id")!.confidence).toBe(0.9);
    expect(result.facts.every((f) => f.confidence === 0.7)).toBe(true);
    const calls = await peerCalls(model);
    expect(calls).toEqual([expect.objectContaining({ endpoint: "chat", inputs: 2, first: TEXT })]);
  });

  it("sends the contact's role, so an agent's first person gives no facts", async () => {
    const result = await extractor(rulesModel()).extract({ ...INPUT, speaker: "agent" });
    expect(result.facts).toEqual([]);
    expect(result.relations).toEqual([]);
    expect(result.entities.map((e) => e.key)).toContain("acme");
  });

  it("reads a long text in windows, placing each answer at its offset", async () => {
    const filler = "Segue o relatório mensal sem dados pessoais. ".repeat(200);
    const text = `${filler}O valor final é R$ 7.300,00 e vence 01/12/2024.`;
    const model = rulesModel();
    const result = await extractor(model).extract({ text });
    expect(result.entities.map((e) => [e.key, text.slice(e.start, e.end)])).toEqual([
      ["BRL 7300.00", "R$ 7.300,00"],
      ["2024-12-01", "01/12/2024"],
    ]);
    expect((await peerCalls(model)).length).toBe(2);
  });

  it("drops what the model invents: an entity and a fact whose words are not in the text", async () => {
    const model = rulesModel();
    await queueFaults(model, "invented");
    const result = await extractor(model).extract(INPUT);
    expect(result.entities.map((e) => e.key)).not.toContain("umbrella corporation");
    expect(result.facts.map((f) => f.factValue)).not.toContain("umbrella corporation");
    expect(shape(result)).toEqual(shape(extractWithRules(INPUT)));
  });

  it("turns an answer that is not JSON into a 502, naming the model but not the text", async () => {
    const model = rulesModel();
    await queueFaults(model, "not-json");
    const err = await failure(extractor(model).extract(INPUT));
    expect(err.code).toBe("bad_gateway");
    expect(err.status).toBe(502);
    expect(err.message).toContain(model);
    expect(err.message).toContain("not JSON");
    expect(err.message).not.toContain("Claro");
  });

  it("turns JSON off the schema into a 502 listing the paths, not the values", async () => {
    const model = rulesModel();
    await queueFaults(model, "off-schema");
    const err = await failure(extractor(model).extract(INPUT));
    expect(err.code).toBe("bad_gateway");
    expect(err.message).toContain("does not follow the extraction schema");
    const issues = (err.details as { issues: { path: string; code: string }[] }).issues;
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["entities", "facts.0.factKey"]));
    expect(JSON.stringify(err.details)).not.toContain("preference.mood");
  });

  it("turns a 5xx into a 503 and a hang into a 503 after the timeout, then recovers", async () => {
    const model = rulesModel();
    await queueFaults(model, "500", "hang");
    const broken = await failure(extractor(model).extract(INPUT));
    expect(broken.code).toBe("unavailable");
    expect(broken.status).toBe(503);
    expect(broken.message).toContain("HTTP 500");
    const slow = await failure(extractor(model, { timeoutMs: 300 }).extract(INPUT));
    expect(slow.code).toBe("unavailable");
    expect(slow.message).toContain("no answer within 300 ms");
    expect((await extractor(model).extract(INPUT)).facts.length).toBeGreaterThan(0);
  });

  it("never puts the key, the URL or the text in its errors", async () => {
    const model = rulesModel();
    const wrong = await failure(extractor(model, { apiKey: "sk-extraction-secret-42" }).extract(INPUT));
    expect(wrong.code).toBe("bad_gateway");
    expect(wrong.message).toContain("HTTP 401 (check the API key)");
    await queueFaults(model, "500");
    const broken = await failure(extractor(model).extract(INPUT));
    for (const err of [wrong, broken]) {
      const said = `${err.message} ${JSON.stringify(err.details)}`;
      expect(said).not.toContain("sk-extraction-secret-42");
      expect(said).not.toContain(peerKey());
      expect(said).not.toContain(peerUrl());
      expect(said).not.toContain("ana@acme.com.br");
    }
  });

  it("reports a model the server does not have as a configuration problem", async () => {
    const err = await failure(extractor("gpt-4o-mini").extract(INPUT));
    expect(err.code).toBe("bad_gateway");
    expect(err.message).toContain("HTTP 404");
  });
});

describe("Workers AI extractor", () => {
  /** A stand-in for the AI binding in JSON mode: `{response: <object>}`, or whatever `answer` makes of the input. */
  const fakeAi = (seen: Record<string, unknown>[], answer?: (input: ExtractionInput) => unknown): AiBinding => ({
    async run(_model, inputs) {
      seen.push(inputs);
      const messages = inputs.messages as { role: string; content: string }[];
      const input = JSON.parse(messages.at(-1)!.content) as ExtractionInput;
      return answer ? answer(input) : { response: toModelAnswer(extractWithRules(input)) };
    },
  });

  it("asks in JSON mode with the schema and enough tokens, and reads the object back", async () => {
    const seen: Record<string, unknown>[] = [];
    const extractor = new WorkersAiExtractor(fakeAi(seen), { timeoutMs: 1_000 });
    expect(extractor.id).toBe("@cf/meta/llama-3.3-70b-instruct-fp8-fast");
    const result = await extractor.extract(INPUT);
    expect(shape(result)).toEqual(shape(extractWithRules(INPUT)));
    expect(seen[0]).toMatchObject({
      response_format: { type: "json_schema", json_schema: modelAnswerJsonSchema() },
      max_tokens: 4096,
      temperature: 0,
    });
    expect(JSON.stringify(seen[0]!.response_format)).not.toContain("$schema");
  });

  it("accepts the object as a JSON string too", async () => {
    const ai = fakeAi([], (input) => ({ response: JSON.stringify(toModelAnswer(extractWithRules(input))) }));
    const result = await new WorkersAiExtractor(ai, { timeoutMs: 1_000 }).extract(INPUT);
    expect(result.facts.length).toBeGreaterThan(0);
  });

  it("keeps only the contact's facts even when the model ignores the speaker", async () => {
    const asIfContact = (input: ExtractionInput) => ({ response: toModelAnswer(extractWithRules({ ...input, speaker: "contact" })) });
    const result = await new WorkersAiExtractor(fakeAi([], asIfContact), { timeoutMs: 1_000 }).extract({ ...INPUT, speaker: "document" });
    expect(result.facts).toEqual([]);
    expect(result.relations).toEqual([]);
    expect(result.entities.length).toBeGreaterThan(0);
  });

  it("drops entities whose values do not parse: a CPF with a wrong check digit, however sure the model is", async () => {
    const text = "CPF 529.982.247-24 e valor R$ 100,00";
    const ai = fakeAi([], () => ({
      response: {
        entities: [
          { type: "tax_id", text: "529.982.247-24", name: "529.982.247-24" },
          { type: "money", text: "R$ 100,00", name: "R$ 100,00" },
        ],
        facts: [],
        relations: [],
      },
    }));
    const result = await new WorkersAiExtractor(ai, { timeoutMs: 1_000 }).extract({ text });
    expect(result.entities.map((e) => e.key)).toEqual(["BRL 100.00"]);
  });

  it("turns garbage into a 502 and a binding that never settles into a 503", async () => {
    const garbage = await failure(
      new WorkersAiExtractor(
        fakeAi([], () => ({ response: "{not json" })),
        { timeoutMs: 1_000 },
      ).extract(INPUT),
    );
    expect(garbage.code).toBe("bad_gateway");
    const empty = await failure(
      new WorkersAiExtractor(
        fakeAi([], () => ({})),
        { timeoutMs: 1_000 },
      ).extract(INPUT),
    );
    expect(empty.code).toBe("bad_gateway");
    const never: AiBinding = { run: () => new Promise(() => {}) };
    const stuck = await failure(new WorkersAiExtractor(never, { timeoutMs: 200 }).extract(INPUT));
    expect(stuck.code).toBe("unavailable");
    expect(stuck.message).toContain("no answer within 200 ms");
  });

  it("in local runs, the real AI binding says it cannot run here and which setting to use instead", async () => {
    const extractor = extractorFor(configWith({ EXTRACTION_PROVIDER: "workers-ai", EXTRACTION_TIMEOUT_MS: "5000" }), env);
    const err = await failure(extractor.extract(INPUT));
    expect(err.code).toBe("unavailable");
    expect(err.message).toContain("cannot run locally");
    expect(err.message).toContain("EXTRACTION_PROVIDER=rules");
  });
});

describe("extraction configuration", () => {
  it("defaults to the rule-based extractor with a 30 s bound for models", () => {
    const config = configWith({});
    expect(config.EXTRACTION_PROVIDER).toBe("rules");
    expect(config.EXTRACTION_TIMEOUT_MS).toBe(30_000);
    expect(extractorFor(config, env)).toMatchObject({ id: RULES_EXTRACTOR_ID, semantic: false });
  });

  it("builds the openai extractor from settings, bounded by EXTRACTION_TIMEOUT_MS", async () => {
    const model = rulesModel();
    const settings = {
      EXTRACTION_PROVIDER: "openai",
      EXTRACTION_BASE_URL: `${peerUrl()}/v1`,
      EXTRACTION_MODEL: model,
      EXTRACTION_API_KEY: peerKey(),
      EXTRACTION_TIMEOUT_MS: "250",
    };
    const extractor = extractorFor(configWith(settings), env);
    expect(extractor).toMatchObject({ id: model, semantic: true });
    expect((await extractor.extract(INPUT)).facts.length).toBeGreaterThan(0);
    await queueFaults(model, "hang");
    expect((await failure(extractor.extract(INPUT))).message).toContain("no answer within 250 ms");
  });

  it("without an AI binding, workers-ai is a configuration error naming the binding", () => {
    expect(() => extractorFor(configWith({ EXTRACTION_PROVIDER: "workers-ai" }), {})).toThrow(
      /EXTRACTION_PROVIDER=workers-ai needs the AI binding/,
    );
  });

  it.each([
    [{ EXTRACTION_PROVIDER: "openai" }, "EXTRACTION_BASE_URL", /EXTRACTION_PROVIDER=openai needs EXTRACTION_BASE_URL/],
    [{ EXTRACTION_PROVIDER: "openai", EXTRACTION_BASE_URL: "ftp://models.example" }, "EXTRACTION_BASE_URL", /http\(s\) URL/],
    [{ EXTRACTION_PROVIDER: "gemini" }, "EXTRACTION_PROVIDER", /EXTRACTION_PROVIDER/],
    [{ EXTRACTION_MODEL: "gpt-4o-mini" }, "EXTRACTION_MODEL", /rules has one model/],
    [{ EXTRACTION_TIMEOUT_MS: "10" }, "EXTRACTION_TIMEOUT_MS", /EXTRACTION_TIMEOUT_MS/],
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
