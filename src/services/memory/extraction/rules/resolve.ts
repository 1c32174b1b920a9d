import type { Candidate } from "./candidates";

/** Which characters of the text already belong to an entity. */
export class Claims {
  private readonly mask: Uint8Array;

  constructor(length: number) {
    this.mask = new Uint8Array(length);
  }

  isTaken(start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (this.mask[i]) return true;
    return false;
  }

  claim(start: number, end: number) {
    this.mask.fill(1, start, end);
  }
}

/**
 * One entity per stretch of text: the most specific kind wins (an e-mail over the company name inside it, a CPF over
 * the phone its digits could also be), then the longest, then the first. Returns them in text order.
 */
export function resolveOverlaps(candidates: Candidate[], claims: Claims): Candidate[] {
  const ranked = [...candidates].sort((a, b) => b.priority - a.priority || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const accepted: Candidate[] = [];
  for (const c of ranked) {
    if (claims.isTaken(c.start, c.end)) continue;
    claims.claim(c.start, c.end);
    accepted.push(c);
  }
  return accepted.sort((a, b) => a.start - b.start);
}
