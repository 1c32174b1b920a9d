/**
 * A customer's question, split the way search uses it: the words any of which may match (natural language must not
 * require every word), the quoted phrases that must match, and the `-words` that must not. Only letters and digits
 * reach Postgres' tsquery parser, so nothing a caller types can be read as tsquery syntax.
 */
export interface ParsedQuery {
  terms: string[];
  phrases: string[];
  exclusions: string[];
}

const WORD = /[\p{L}\p{N}]+/gu;
const words = (s: string) => s.match(WORD) ?? [];
/** Bounds what one query can ask Postgres to combine. */
const MAX_TERMS = 64;
const MAX_PHRASES = 8;

export function parseQuery(text: string): ParsedQuery {
  const phrases: string[] = [];
  const rest = text.replace(/"([^"]*)"/g, (_, inner: string) => {
    const w = words(inner);
    if (w.length > 1 && phrases.length < MAX_PHRASES) phrases.push(w.join(" "));
    // A one-word "phrase" is just a word; the phrase's words also rank as terms.
    return ` ${w.join(" ")} `;
  });
  const exclusions: string[] = [];
  const terms: string[] = [];
  for (const token of rest.split(/\s+/)) {
    if (!token) continue;
    // "-boleto" excludes; "pré-pago" or "12-03" are words joined by a hyphen.
    if (token.startsWith("-") && token.length > 1) {
      const w = words(token.slice(1));
      if (w.length) exclusions.push(...w);
      continue;
    }
    terms.push(...words(token));
  }
  const unique = (xs: string[]) => [...new Set(xs.map((x) => x.toLowerCase()))];
  return { terms: unique(terms).slice(0, MAX_TERMS), phrases, exclusions: unique(exclusions).slice(0, MAX_TERMS) };
}

/** True when a query has nothing left to match with (only punctuation, or only exclusions). */
export const isEmptyQuery = (q: ParsedQuery) => q.terms.length === 0 && q.phrases.length === 0;

/** The question as a model should read it: without the -exclusions and the quote marks (the phrases stay). */
export const semanticText = (text: string) =>
  text
    .replace(/(^|\s)-[\p{L}\p{N}]\S*/gu, " ")
    .replace(/"/g, " ")
    .replace(/\s+/g, " ")
    .trim();
