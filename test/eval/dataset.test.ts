import { describe, expect, it } from "vitest";
import { parseCorpus, parseQrels, parseQueries } from "../../scripts/eval/beir";
import { generateDataset, serializeDataset } from "../../scripts/eval/dataset";
import corpusFile from "../fixtures/retrieval/corpus.jsonl?raw";
import qrelsFile from "../fixtures/retrieval/qrels/test.tsv?raw";
import queriesFile from "../fixtures/retrieval/queries.jsonl?raw";

const files = serializeDataset(generateDataset());

/** The first line that differs, so a stale fixture fails with one line instead of a 400 KB diff. */
function firstDifference(committed: string, generated: string): string | undefined {
  const a = committed.split("\n");
  const b = generated.split("\n");
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i >= 0 ? i : a.length < b.length ? a.length : -1;
  if (at < 0) return undefined;
  return `line ${at + 1} differs (run npm run eval:dataset):\n  committed: ${a[at]?.slice(0, 200)}\n  generated: ${b[at]?.slice(0, 200)}`;
}

describe("synthetic retrieval dataset", () => {
  // The committed fixture is the generator's output: edit scripts/eval/dataset.ts, then `npm run eval:dataset`.
  it("is exactly what the generator writes", () => {
    expect(firstDifference(corpusFile, files["corpus.jsonl"])).toBeUndefined();
    expect(firstDifference(queriesFile, files["queries.jsonl"])).toBeUndefined();
    expect(firstDifference(qrelsFile, files["qrels/test.tsv"])).toBeUndefined();
  });

  it("is deterministic and changes with the seed", () => {
    expect(serializeDataset(generateDataset())).toEqual(files);
    expect(serializeDataset(generateDataset(7))["corpus.jsonl"]).not.toBe(files["corpus.jsonl"]);
  });

  it("has the size, languages and types the evaluation needs, within 1 MB", () => {
    const corpus = parseCorpus(corpusFile);
    const queries = parseQueries(queriesFile);
    expect(corpus.length).toBeGreaterThanOrEqual(150);
    expect(corpus.length).toBeLessThanOrEqual(300);
    expect(queries.length).toBeGreaterThanOrEqual(60);
    expect(queries.length).toBeLessThanOrEqual(120);
    const types = new Set(corpus.map((d) => d.metadata?.document_type));
    expect([...types].sort()).toEqual(["contract", "invoice", "manual", "policy", "proposal"]);
    const pt = corpus.filter((d) => d.metadata?.language === "pt").length;
    expect(pt / corpus.length).toBeGreaterThan(0.6);
    expect(corpus.some((d) => d.metadata?.language === "en")).toBe(true);
    // Long enough that a structural chunker splits some documents into several chunks.
    expect(corpus.filter((d) => d.text.length > 3000).length).toBeGreaterThan(20);
    const bytes = new TextEncoder().encode(corpusFile + queriesFile + qrelsFile).length;
    expect(bytes).toBeLessThan(1024 * 1024);
  });

  it("judges every query: one answer graded 2, related documents graded 1, all in the corpus", () => {
    const ids = new Set(parseCorpus(corpusFile).map((d) => d._id));
    const qrels = parseQrels(qrelsFile);
    expect(qrelsFile.startsWith("query-id\tcorpus-id\tscore\n")).toBe(true);
    for (const q of parseQueries(queriesFile)) {
      const judged = qrels.get(q._id);
      expect(judged, q._id).toBeDefined();
      expect(
        [...judged!.values()].filter((g) => g === 2),
        q.text,
      ).toHaveLength(1);
      for (const [docId, grade] of judged!) {
        expect(ids.has(docId), docId).toBe(true);
        expect([1, 2]).toContain(grade);
      }
    }
  });

  it("keeps the questions the issue quotes, and asks like customers do", () => {
    const queries = parseQueries(queriesFile).map((q) => q.text);
    expect(queries).toContain("Qual o valor do contrato que enviamos para a Padaria São João?");
    expect(queries).toContain("quando vence o boleto da Ótica Visão?");
    expect(queries).toContain("what is the warranty period for the X200 blender?");
    expect(queries.some((q) => /"[^"]+"/.test(q))).toBe(true);
    expect(queries.some((q) => / -\S/.test(q))).toBe(true);
    // Unaccented Portuguese, as typed in a hurry.
    const unaccented = /\b(orcamento|servico|voces|otica|visao|salao|agua|numero|sabado|maquina|cafe|indice|previo|manutencao|locacao)\b/;
    expect(queries.filter((q) => unaccented.test(q)).length).toBeGreaterThanOrEqual(5);
  });

  it("answers the Padaria São João question with the R$ 12.500,00 contract", () => {
    const corpus = parseCorpus(corpusFile);
    const q = parseQueries(queriesFile).find((x) => x.text === "Qual o valor do contrato que enviamos para a Padaria São João?")!;
    const [answer] = [...parseQrels(qrelsFile).get(q._id)!].find(([, g]) => g === 2)!;
    const doc = corpus.find((d) => d._id === answer)!;
    expect(doc.metadata?.document_type).toBe("contract");
    expect(doc.text).toContain("Padaria São João");
    expect(doc.text).toContain("valor total de R$ 12.500,00 (doze mil e quinhentos reais)");
  });
});
