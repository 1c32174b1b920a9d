import type { EntityType } from "./types";

/**
 * Patterns run over a folded copy of the text — lowercase, accents removed — so one pattern covers "março" and
 * "MARCO", "milhão" and "milhao", "São Paulo" and "sao paulo", as customers type them. Every folded character
 * remembers which original characters it came from, so spans always point into the text the caller gave.
 */
export interface FoldedText {
  original: string;
  text: string;
  /** For folded code unit i, the original characters [from[i], to[i]) it came from. */
  from: Int32Array;
  to: Int32Array;
}

const foldCache = new Map<number, string>();

/** One character (code point) folded. Typographic apostrophes become ASCII ones: "I’m" is "I'm". */
function foldChar(cp: number): string {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? String.fromCharCode(cp + 32) : String.fromCharCode(cp);
  if (cp === 0x2019 || cp === 0x2018) return "'";
  let hit = foldCache.get(cp);
  if (hit === undefined) {
    // Recomposed after the marks go, so scripts whose letters decompose without marks (Hangul) stay as they were.
    hit = String.fromCodePoint(cp)
      .normalize("NFD")
      .replace(/\p{M}+/gu, "")
      .normalize("NFC")
      .toLowerCase();
    if (foldCache.size < 4096) foldCache.set(cp, hit);
  }
  return hit;
}

export function foldWithOffsets(original: string): FoldedText {
  const parts: string[] = [];
  let from = new Int32Array(original.length + 1);
  let to = new Int32Array(original.length + 1);
  let n = 0;
  for (let i = 0; i < original.length; ) {
    const cp = original.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    const folded = foldChar(cp);
    if (folded.length === 0 && n > 0) {
      // A combining mark typed apart from its letter ("a" + U+0301): it belongs to the previous character's span.
      to[n - 1] = i + width;
    }
    if (n + folded.length > from.length) {
      // Folding rarely lengthens a character, but Unicode does not promise it never does.
      from = grow(from);
      to = grow(to);
    }
    for (let k = 0; k < folded.length; k++) {
      from[n] = i;
      to[n] = i + width;
      n++;
    }
    parts.push(folded);
    i += width;
  }
  return { original, text: parts.join(""), from: from.subarray(0, n), to: to.subarray(0, n) };
}

function grow(array: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(array.length * 2 + 8);
  bigger.set(array);
  return bigger;
}

export const fold = (text: string) => foldWithOffsets(text).text;

/** The original span of folded [start, end). */
export function originalSpan(ft: FoldedText, start: number, end: number): { start: number; end: number } {
  return { start: ft.from[start]!, end: ft.to[end - 1]! };
}

/** Words of folded text: letters and digits, joined by "&" or an apostrophe ("c&a", "l'oreal", "mcdonald's"). */
export const WORD = /[\p{L}\p{N}]+(?:[&'][\p{L}\p{N}]+)*/gu;

export const words = (folded: string) => folded.match(WORD) ?? [];

/**
 * Legal-form suffixes a company name may or may not carry ("Acme Ltda", "Acme S.A.", "Acme, Inc."): the same company
 * either way, so keys drop them. As word sequences, because "S.A." and "S/A" are the words "s" "a".
 */
const LEGAL_SUFFIXES = [["ltda"], ["s", "a"], ["sa"], ["me"], ["eireli"], ["epp"], ["inc"], ["llc"], ["ltd"], ["corp"]];

export function stripLegalSuffix(tokens: string[]): string[] {
  let out = tokens;
  for (let changed = true; changed; ) {
    changed = false;
    for (const suffix of LEGAL_SUFFIXES) {
      const keep = out.length - suffix.length;
      if (keep >= 1 && suffix.every((w, i) => out[keep + i] === w)) {
        out = out.slice(0, keep);
        changed = true;
      }
    }
  }
  return out;
}

/**
 * The key of a name: folded words joined by one space; a company's without its legal suffix. Only companies: "Sá" is
 * a surname, and "sa" a legal form only after a company's name.
 */
export function nameKey(type: EntityType, name: string): string {
  const tokens = words(fold(name));
  return (type === "company" ? stripLegalSuffix(tokens) : tokens).join(" ");
}

export const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/**
 * Where a quoted piece of `text` is, for models that cannot count characters: the first occurrence at or after `after`
 * that is not inside a word, exact first, then ignoring case, accents and runs of whitespace. Null when the text does
 * not contain it — the caller drops the item rather than invent a span.
 */
export function locate(text: string, needle: string, after = 0): { start: number; end: number } | null {
  const quoted = needle.trim();
  if (!quoted) return null;
  const exact = bounded(text, quoted, after, (i) => ({ start: i, end: i + quoted.length }));
  if (exact) return exact;
  const squeezed = squeezeSpaces(foldWithOffsets(text));
  const target = fold(quoted).replace(/\s+/g, " ");
  const startAt = lowerBound(squeezed.from, after);
  return bounded(squeezed.text, target, startAt, (i) => ({
    start: squeezed.from[i]!,
    end: squeezed.to[i + target.length - 1]!,
  }));
}

function bounded<T>(haystack: string, needle: string, after: number, span: (i: number) => T): T | null {
  let first: T | null = null;
  for (let i = haystack.indexOf(needle, after); i >= 0; i = haystack.indexOf(needle, i + 1)) {
    const clean =
      !(isWordChar(haystack[i - 1]) && isWordChar(needle[0])) && !(isWordChar(haystack[i + needle.length]) && isWordChar(needle.at(-1)));
    if (clean) return span(i);
    first ??= span(i);
  }
  return first;
}

/** The folded text with every run of whitespace as one space, keeping the offsets. */
function squeezeSpaces(ft: FoldedText): FoldedText {
  const keep: number[] = [];
  for (let i = 0; i < ft.text.length; i++) {
    if (/\s/.test(ft.text[i]!) && i > 0 && /\s/.test(ft.text[i - 1]!)) continue;
    keep.push(i);
  }
  const from = new Int32Array(keep.length);
  const to = new Int32Array(keep.length);
  let text = "";
  keep.forEach((i, k) => {
    from[k] = ft.from[i]!;
    to[k] = ft.to[i]!;
    text += /\s/.test(ft.text[i]!) ? " " : ft.text[i];
  });
  return { original: ft.original, text, from, to };
}

function lowerBound(sorted: Int32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
