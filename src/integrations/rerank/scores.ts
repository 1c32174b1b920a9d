import { type ModelTarget, modelRejected } from "../models/calls";

/**
 * Cross-encoders answer either a probability or the raw logit behind it (bge-reranker's model card: "the score can
 * be mapped to [0,1] by sigmoid"), and servers differ on which they return. One call's scores are read together: if
 * any lies outside [0,1] they are all logits and all go through the sigmoid, so scores of one call stay comparable
 * with each other and with the [0,1] threshold search applies.
 */
export function toRelevance(target: ModelTarget, raw: number[]): number[] {
  if (!raw.every((s) => typeof s === "number" && Number.isFinite(s))) throw modelRejected(target, "it returned a non-numeric score");
  const logits = raw.some((s) => s < 0 || s > 1);
  return raw.map((s) => (logits ? 1 / (1 + Math.exp(-s)) : s));
}

/**
 * Scores by input position from `{index, score}` pairs, which servers return sorted by score and possibly cut
 * short. Every input must have exactly one score.
 */
export function byInputPosition(target: ModelTarget, pairs: { index: unknown; score: unknown }[], count: number): number[] {
  const scores: (number | undefined)[] = Array.from({ length: count }, () => undefined);
  for (const { index, score } of pairs) {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= count || scores[index] !== undefined) {
      throw modelRejected(target, "its answer's indexes do not match the texts");
    }
    if (typeof score !== "number") throw modelRejected(target, "it returned a non-numeric score");
    scores[index] = score;
  }
  const missing = scores.indexOf(undefined);
  if (missing >= 0) throw modelRejected(target, `its answer has no score for text ${missing}`);
  return scores as number[];
}
