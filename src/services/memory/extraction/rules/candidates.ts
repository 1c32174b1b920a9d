import { type FoldedText, originalSpan } from "../text";
import type { EntityType, ExtractedEntity } from "../types";

/**
 * An entity some finder proposes. Finders may claim the same characters ("11987654321" is a valid mobile number and
 * could be a valid CPF); `priority` decides, the more specific pattern winning.
 */
export interface Candidate extends ExtractedEntity {
  priority: number;
}

export const PRIORITY = { email: 6, tax_id: 5, money: 4, date: 3, phone: 2, name: 1 } as const;

/**
 * Matches looked at per finder and call. Every pattern is linear, but a hostile megabyte of "1/1/2024 " would still
 * produce a hundred thousand candidates to sort; past this many the rest of the text is not read by that finder.
 */
export const MAX_MATCHES = 2_000;

export function candidate(
  ft: FoldedText,
  type: EntityType,
  foldedStart: number,
  foldedEnd: number,
  fields: { name: string; key: string; confidence: number; priority: number },
): Candidate {
  const { start, end } = originalSpan(ft, foldedStart, foldedEnd);
  return { type, ...fields, text: ft.original.slice(start, end), start, end };
}

/** The matches of a global pattern, at most MAX_MATCHES of them. */
export function* matches(pattern: RegExp, text: string): Generator<RegExpExecArray> {
  const re = new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`);
  let seen = 0;
  for (let m = re.exec(text); m && seen < MAX_MATCHES; m = re.exec(text), seen++) {
    yield m;
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** Whether the few words before `pos` contain a cue ("cpf", "tel", "pedido"…), e.g. to tell a phone from a CPF. */
export function cueBefore(folded: string, pos: number, cue: RegExp, window = 32): boolean {
  return cue.test(folded.slice(Math.max(0, pos - window), pos));
}
