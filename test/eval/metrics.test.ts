import { describe, expect, it } from "vitest";
import { evaluate, mrrAtK, ndcgAtK, recallAtK } from "../../scripts/eval/metrics";

const judged = new Map([
  ["a", 2],
  ["b", 1],
  ["c", 1],
  ["z", 0],
]);

describe("nDCG@k", () => {
  it("is 1 for the ideal ranking and 0 when nothing relevant is retrieved", () => {
    expect(ndcgAtK(["a", "b", "c"], judged, 10)).toBeCloseTo(1, 12);
    expect(ndcgAtK(["a", "c", "b"], judged, 10)).toBeCloseTo(1, 12);
    expect(ndcgAtK(["x", "z", "y"], judged, 10)).toBe(0);
    expect(ndcgAtK([], judged, 10)).toBe(0);
  });

  it("matches a hand computation with graded gains 2^rel − 1 and a log2 discount", () => {
    // DCG of [x, b, a]: 0/log2(2) + 1/log2(3) + 3/log2(4) = 0.63093 + 1.5 = 2.13093
    // IDCG from the judgements [2, 1, 1]: 3/1 + 1/log2(3) + 1/2 = 3 + 0.63093 + 0.5 = 4.13093
    expect(ndcgAtK(["x", "b", "a"], judged, 10)).toBeCloseTo(2.13093 / 4.13093, 5);
  });

  it("takes the ideal from the judgements, cut at k, not from what was retrieved", () => {
    // k = 1: DCG = gain(b) = 1; IDCG = gain(a) = 3.
    expect(ndcgAtK(["b", "a"], judged, 1)).toBeCloseTo(1 / 3, 12);
    // Only "b" retrieved: 1 / 4.13093, even though "b" is the best of what came back.
    expect(ndcgAtK(["b"], judged, 10)).toBeCloseTo(1 / 4.13093, 5);
  });

  it("counts a repeated document once, at its first place", () => {
    expect(ndcgAtK(["a", "a", "b", "c"], judged, 3)).toBeCloseTo(1, 12);
  });

  it("is 0 for a query without a relevant judgement", () => {
    expect(ndcgAtK(["z"], new Map([["z", 0]]), 10)).toBe(0);
  });
});

describe("MRR@k", () => {
  it("is the reciprocal rank of the first relevant document within k", () => {
    expect(mrrAtK(["a"], judged, 10)).toBe(1);
    expect(mrrAtK(["x", "z", "c"], judged, 10)).toBeCloseTo(1 / 3, 12);
    expect(mrrAtK(["x", "z", "c"], judged, 2)).toBe(0);
    expect(mrrAtK(["x", "x", "c"], judged, 2)).toBe(0.5);
  });
});

describe("Recall@k", () => {
  it("is the share of relevant documents retrieved within k", () => {
    expect(recallAtK(["a", "x", "b", "c"], judged, 100)).toBe(1);
    expect(recallAtK(["a", "x", "b", "c"], judged, 2)).toBeCloseTo(1 / 3, 12);
    expect(recallAtK(["z", "y"], judged, 100)).toBe(0);
  });
});

describe("evaluate", () => {
  it("averages over judged queries only, counting a judged query without results as 0", () => {
    const qrels = new Map([
      ["q1", new Map([["a", 2]])],
      ["q2", new Map([["b", 1]])],
      // Judged, but nothing relevant: left out of the averages.
      ["q3", new Map([["c", 0]])],
    ]);
    const run = new Map([
      ["q1", ["a"]],
      ["q3", ["c"]],
      ["unjudged", ["a"]],
    ]);
    const s = evaluate(run, qrels);
    expect(s.queries).toBe(2);
    expect(s.ndcg).toBe(0.5);
    expect(s.mrr).toBe(0.5);
    expect(s.recall).toBe(0.5);
    expect(s.perQuery.map((q) => q.queryId)).toEqual(["q1", "q2"]);
    expect(s.cutoffs).toEqual({ ndcg: 10, mrr: 10, recall: 100 });
  });

  it("uses the cutoffs given", () => {
    const qrels = new Map([["q", new Map([["a", 1]])]]);
    const s = evaluate(new Map([["q", ["x", "a"]]]), qrels, { ndcg: 1, mrr: 1, recall: 1 });
    expect([s.ndcg, s.mrr, s.recall]).toEqual([0, 0, 0]);
  });
});
