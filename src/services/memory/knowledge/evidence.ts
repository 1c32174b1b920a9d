import { type SQL, sql } from "drizzle-orm";

/**
 * How belief grows with evidence — one rule for edge strength and fact confidence, stated here and nowhere else:
 *
 *     s' = s + (1 − s) × c
 *
 * where `s` is the current strength (or confidence) in [0, 1] and `c` the new observation's confidence in [0, 1].
 * It is "noisy-OR": independent observations that each would be right with probability c_i combine to
 * 1 − Π(1 − c_i). It only grows, never past 1, grows less the surer we already are, and does not depend on the order
 * the observations arrive in — so a redelivered or re-run extraction cannot tell a different story, provided the same
 * observation is never counted twice (callers key evidence by its source).
 */
export function reinforce(strength: number, confidence: number): number {
  const s = clamp(strength);
  return s + (1 - s) * clamp(confidence);
}

/** Observations combined from nothing: 1 − Π(1 − c_i). */
export const combine = (confidences: number[]) => confidences.reduce((s, c) => reinforce(s, c), 0);

/** The same rule in SQL, for upserts that reinforce a stored value without reading it first. */
export function reinforceSql(current: SQL, confidence: number | SQL): SQL {
  const c = typeof confidence === "number" ? sql`${clamp(confidence)}::real` : sql`least(1, greatest(0, ${confidence}))`;
  return sql`least(1, ${current} + (1 - ${current}) * ${c})`;
}

const clamp = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** Source ids a fact or an edge remembers (the newest), so re-reading a source is recognised as the same evidence. */
export const MAX_SOURCE_IDS = 50;
