import { type ModelTarget, modelRejected } from "../models/calls";

/** Unit length, so cosine similarity is a dot product and scores from any provider share one scale. */
export function l2Normalize(vector: ArrayLike<number>): number[] {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  const norm = Math.sqrt(sum);
  const out = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = norm > 0 ? vector[i]! / norm : 0;
  return out;
}

/**
 * Checks what a provider sent back before anything is stored: one vector per text, each of the column's width, every
 * value finite and not all zero (a zero vector has no direction and would match nothing, or everything).
 */
export function checkedVectors(target: ModelTarget, vectors: unknown, expected: { count: number; dimensions: number }): number[][] {
  if (!Array.isArray(vectors) || vectors.length !== expected.count) {
    const got = Array.isArray(vectors) ? vectors.length : "no list";
    throw modelRejected(target, `expected ${expected.count} embeddings, got ${got}`);
  }
  return vectors.map((v, i) => {
    if (!Array.isArray(v) || v.length !== expected.dimensions) {
      const got = Array.isArray(v) ? `${v.length}` : "no vector";
      const fix = `choose a model that produces ${expected.dimensions}`;
      throw modelRejected(target, `returned ${got} dimensions for item ${i}, but vectors are stored with ${expected.dimensions}: ${fix}`, {
        dimensions: Array.isArray(v) ? v.length : null,
        expected: expected.dimensions,
      });
    }
    if (!v.every((x) => typeof x === "number" && Number.isFinite(x)))
      throw modelRejected(target, `returned a non-numeric value in item ${i}`);
    if (v.every((x) => x === 0)) throw modelRejected(target, `returned an all-zero vector for item ${i}`);
    return l2Normalize(v as number[]);
  });
}
