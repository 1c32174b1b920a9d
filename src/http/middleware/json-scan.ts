/** Deeper JSON is refused before anything parses it: Postgres' jsonb parser (and any recursive walker) has a stack. */
export const MAX_JSON_DEPTH = 32;

export interface JsonScanProblem {
  /** Where in the document, as `a.b.0.c` (empty: the document itself). */
  path: string;
  message: string;
  /** The limit that was exceeded, when one was. */
  limit?: number;
}

type Frame = { kind: "object"; key: string | undefined; expectKey: boolean } | { kind: "array"; index: number };

const isHex4 = (s: string) => /^[0-9a-fA-F]{4}$/.test(s);
const isHigh = (code: number) => code >= 0xd800 && code <= 0xdbff;
const isLow = (code: number) => code >= 0xdc00 && code <= 0xdfff;
const NUMBER_CHAR = /[0-9eE+.-]/;

export interface JsonScanOptions {
  maxDepth?: number;
  /** Also refuse NUL, unpaired surrogates, overflowing numbers and `__proto__` keys (default true). */
  content?: boolean;
}

/**
 * One pass over raw JSON text, iterative and linear, that finds what would make the document harmful to the code
 * behind it rather than merely malformed (malformed text is left to JSON.parse): nesting deeper than `maxDepth`;
 * with `content`, also a NUL character or an unpaired UTF-16 surrogate in a string (escaped or raw — Postgres
 * stores neither in text or jsonb), a number that overflows to Infinity, and `__proto__` keys.
 */
export function scanJson(text: string, options: JsonScanOptions = {}): JsonScanProblem | undefined {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const content = options.content ?? true;
  const stack: Frame[] = [];
  /** The path of the value being scanned; inside a key, the key's place is shown as `(key)`. */
  const path = (inKey = false) => {
    const parts = stack.map((f) => (f.kind === "array" ? String(f.index) : (f.key ?? "")));
    if (inKey && parts.length) parts[parts.length - 1] = "(key)";
    return parts.join(".");
  };
  const len = text.length;
  let i = 0;
  while (i < len) {
    const code = text.charCodeAt(i);
    if (code === 0x22 /* " */) {
      // A string: scan to its closing quote.
      const top = stack[stack.length - 1];
      const isKey = top?.kind === "object" && top.expectKey;
      const start = i;
      let escaped = false;
      i++;
      for (;;) {
        if (i >= len) return undefined; // unterminated: JSON.parse reports it
        const c = text.charCodeAt(i);
        if (c === 0x22) break;
        if (c === 0x5c /* \ */) {
          escaped = true;
          if (!content || text[i + 1] !== "u") {
            i += 2;
            continue;
          }
          const hex = text.slice(i + 2, i + 6);
          if (!isHex4(hex)) return undefined; // malformed escape: JSON.parse reports it
          const unit = Number.parseInt(hex, 16);
          if (unit === 0) return { path: path(isKey), message: "strings must not contain the NUL character (\\u0000)" };
          if (isHigh(unit)) {
            const next = text.slice(i + 6, i + 12);
            if (next[0] === "\\" && next[1] === "u" && isHex4(next.slice(2)) && isLow(Number.parseInt(next.slice(2), 16))) {
              i += 12;
              continue;
            }
            return { path: path(isKey), message: "strings must not contain an unpaired UTF-16 surrogate (\\ud800–\\udfff)" };
          }
          if (isLow(unit)) {
            return { path: path(isKey), message: "strings must not contain an unpaired UTF-16 surrogate (\\ud800–\\udfff)" };
          }
          i += 6;
          continue;
        }
        if (!content) {
          i++;
          continue;
        }
        if (c === 0) return { path: path(isKey), message: "strings must not contain the NUL character (\\u0000)" };
        if (isHigh(c) && isLow(text.charCodeAt(i + 1))) {
          i += 2;
          continue;
        }
        if (isHigh(c) || isLow(c)) return { path: path(isKey), message: "strings must not contain an unpaired UTF-16 surrogate" };
        i++;
      }
      const end = i;
      i++;
      if (isKey && top?.kind === "object") {
        let key = text.slice(start + 1, end);
        if (escaped) {
          try {
            key = JSON.parse(text.slice(start, end + 1)) as string;
          } catch {
            return undefined;
          }
        }
        top.key = key;
        top.expectKey = false;
        if (content && key === "__proto__") return { path: path(), message: "the object key __proto__ is not allowed" };
      }
      continue;
    }
    if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      if (stack.length >= maxDepth) {
        return { path: path(), message: `JSON nesting exceeds the limit of ${maxDepth} levels`, limit: maxDepth };
      }
      stack.push(code === 0x7b ? { kind: "object", key: undefined, expectKey: true } : { kind: "array", index: 0 });
      i++;
      continue;
    }
    if (code === 0x7d /* } */ || code === 0x5d /* ] */) {
      stack.pop();
      i++;
      continue;
    }
    if (code === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.kind === "array") top.index++;
      else if (top?.kind === "object") top.expectKey = true;
      i++;
      continue;
    }
    if (content && (code === 0x2d /* - */ || (code >= 0x30 && code <= 0x39))) {
      const start = i;
      while (i < len && NUMBER_CHAR.test(text[i]!)) i++;
      const value = Number(text.slice(start, i));
      if (value === Number.POSITIVE_INFINITY || value === Number.NEGATIVE_INFINITY) {
        return { path: path(), message: "a number is too large to be represented (it overflows to Infinity)" };
      }
      continue;
    }
    if (content && code === 0) return { path: path(), message: "the body must not contain the NUL character" };
    i++;
  }
  return undefined;
}
