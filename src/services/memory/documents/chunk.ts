import { AppError } from "../../../lib/errors";
import { type Boundaries, findBoundaries, Level } from "./boundaries";
import { isBlank, PAGE_SEPARATOR, type Page } from "./pages";

export interface Chunk {
  /** 0, 1, 2… across the whole document, in reading order. */
  index: number;
  pageNumber: number;
  /** Exactly `page.text.slice(pageStart, pageEnd)`: nothing trimmed, so the document can be rebuilt from chunks. */
  text: string;
  /** Offsets into `fullText(pages)`. */
  start: number;
  end: number;
  /** Offsets into the page's text; a chunk overlaps the previous one when `pageStart` < the previous `pageEnd`. */
  pageStart: number;
  pageEnd: number;
}

export interface ChunkOptions {
  /** The size a chunk aims at, overlap included. */
  targetChars?: number;
  /**
   * Never exceeded. A run without whitespace longer than this (minified JSON, base64, a long URL) is cut inside,
   * at a grapheme boundary when one is near, never inside a surrogate pair (unless maxChars is 1).
   */
  maxChars?: number;
  /** At most this much of the previous chunk's end is repeated at the start of the next one. */
  overlapChars?: number;
}

export const DEFAULT_CHUNK_OPTIONS = { targetChars: 800, maxChars: 1200, overlapChars: 150 } as const;

/**
 * Chunks a document page by page (a chunk never crosses pages, so it has one page number) along its structure:
 * Markdown headings, then paragraphs, sentences, lines and words. Consecutive chunks of a page overlap by up to
 * `overlapChars`, starting at a sentence when one begins in that tail, else at a word; a chunk that opens a new
 * heading repeats nothing of the previous section. Every character of a non-blank page is in some chunk; blank
 * pages yield none. No chunk is longer than `maxChars`: a longer run without whitespace is cut inside (Postgres
 * refuses a tsvector over 1 MB, and a chunk that size would be a useless search hit). The price is that a chunk
 * can be blank, only where whitespace after such a cut and the next word do not fit together in `maxChars`.
 */
export function chunkDocument(pages: readonly Page[], options: ChunkOptions = {}): Chunk[] {
  const opts = resolveOptions(options);
  const chunks: Chunk[] = [];
  let offset = 0;
  for (const [i, page] of pages.entries()) {
    if (i > 0) offset += PAGE_SEPARATOR.length;
    if (!isBlank(page.text)) {
      for (const [pageStart, pageEnd] of splitPage(page.text, opts)) {
        const text = page.text.slice(pageStart, pageEnd);
        chunks.push({
          index: chunks.length,
          pageNumber: page.pageNumber,
          text,
          start: offset + pageStart,
          end: offset + pageEnd,
          pageStart,
          pageEnd,
        });
      }
    }
    offset += page.text.length;
  }
  return chunks;
}

/** A message or any single text: one page, numbered 1. */
export const chunkText = (text: string, options?: ChunkOptions): Chunk[] => chunkDocument([{ pageNumber: 1, text }], options);

interface Resolved {
  targetChars: number;
  maxChars: number;
  overlapChars: number;
  /** Below this a chunk ends early only when nothing better is reachable. */
  minChars: number;
}

function resolveOptions(options: ChunkOptions): Resolved {
  const { targetChars, maxChars, overlapChars } = { ...DEFAULT_CHUNK_OPTIONS, ...options };
  const ok =
    [targetChars, maxChars, overlapChars].every(Number.isSafeInteger) &&
    targetChars > 0 &&
    maxChars >= targetChars &&
    overlapChars >= 0 &&
    overlapChars < targetChars;
  if (!ok) {
    throw new AppError("invalid_request", "Chunk sizes must be integers with 0 ≤ overlapChars < targetChars ≤ maxChars", {
      targetChars,
      maxChars,
      overlapChars,
    });
  }
  return { targetChars, maxChars, overlapChars, minChars: Math.ceil(targetChars / 2) };
}

/** [start, end) spans of one page's text; each chunk's core (after its overlap) begins where the previous ended. */
function splitPage(text: string, opts: Resolved): [number, number][] {
  const b = findBoundaries(text);
  const spans: [number, number][] = [];
  let core = 0;
  let previousCore = -1;
  let endLevel: Level = Level.heading;
  while (core < text.length) {
    let start = endLevel === Level.heading ? core : overlapStart(b, previousCore, core, opts.overlapChars);
    let end = chooseEnd(text.length, b, start, core, opts);
    if (!end && start < core) {
      // The overlap left no room before a long word: the word matters more than the repeated context.
      start = core;
      end = chooseEnd(text.length, b, start, core, opts);
    }
    // Nothing to cut at before maxChars: the text from `core` is one run longer than that, cut inside it.
    end ??= { pos: hardCut(text, core, core + opts.maxChars), level: Level.word };
    // After a cut inside a run the core can sit on whitespace: rather than a chunk of nothing else, go into the
    // next run when that is a place a cut may fall (whitespace, or a run too long for one chunk).
    if (isSpace(text, start) && !hasText(text, start, end.pos) && start + opts.maxChars < text.length) {
      const cut = hardCut(text, start, start + opts.maxChars);
      if (hasText(text, start, cut) && (isSpace(text, cut - 1) || isSpace(text, cut) || runExceeds(text, cut, opts.maxChars))) {
        end = { pos: cut, level: Level.word };
      }
    }
    spans.push([start, end.pos]);
    previousCore = core;
    core = end.pos;
    endLevel = end.level;
  }
  return spans;
}

interface Cut {
  pos: number;
  level: Level;
}

/**
 * Where a chunk starting at `start` (core at `core`) ends: the strongest boundary between minChars and maxChars
 * from its start, the one nearest targetChars among equals; the end of the page when it is within reach.
 */
function chooseEnd(length: number, b: Boundaries, start: number, core: number, opts: Resolved): Cut | undefined {
  const lo = Math.max(core + 1, start + opts.minChars);
  const hi = start + opts.maxChars;
  const target = start + opts.targetChars;
  if (length < lo) return { pos: length, level: Level.heading };
  let best: Cut | undefined = length <= hi ? { pos: length, level: Level.heading } : undefined;
  for (let i = lowerBound(b.positions, lo); i < b.positions.length && b.positions[i]! <= hi; i++) {
    const cut = at(b, i)!;
    if (!best || cut.level > best.level || (cut.level === best.level && closer(cut.pos, best.pos, target))) best = cut;
  }
  if (best) return best;
  // A long word spans [lo, hi]: end before it, at the last boundary after the core's start.
  const before = lowerBound(b.positions, lo) - 1;
  return before >= 0 && b.positions[before]! > core ? at(b, before) : undefined;
}

const closer = (pos: number, than: number, target: number) => {
  const d = Math.abs(pos - target);
  const e = Math.abs(than - target);
  return d < e || (d === e && pos > than);
};

/**
 * Where the overlap begins: the earliest sentence start within the last `overlapChars` before the core (the
 * fullest sentences that fit), else the earliest word start there; never reaching into an older chunk's core.
 */
function overlapStart(b: Boundaries, previousCore: number, core: number, overlapChars: number): number {
  const from = lowerBound(b.positions, Math.max(previousCore + 1, core - overlapChars));
  let firstWord: number | undefined;
  for (let i = from; i < b.positions.length && b.positions[i]! < core; i++) {
    if (b.levels[i]! >= Level.sentence) return b.positions[i]!;
    firstWord ??= b.positions[i]!;
  }
  return firstWord ?? core;
}

const at = (b: Boundaries, i: number): Cut | undefined =>
  i >= 0 && i < b.positions.length ? { pos: b.positions[i]!, level: b.levels[i]! } : undefined;

/** First index whose value is ≥ x. */
function lowerBound(sorted: number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** How far before the limit a hard cut looks for a grapheme boundary; a longer cluster (Zalgo) is cut by code point. */
const GRAPHEME_WINDOW = 64;
let graphemes: Intl.Segmenter | undefined;

/**
 * Where to cut text with no boundary in (from, limit]: the last grapheme boundary there (so "é" written as e +
 * U+0301, 👩‍👩‍👧 or a flag stay whole), else `limit`, moved back one if it would split a surrogate pair.
 */
function hardCut(text: string, from: number, limit: number): number {
  const windowStart = Math.max(from, limit - GRAPHEME_WINDOW);
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  let best = -1;
  // One character past the limit so a cluster continuing there is seen as one; index 0 is the window's edge.
  for (const { index } of graphemes.segment(text.slice(windowStart, limit + 1))) {
    if (index > 0 && windowStart + index <= limit) best = windowStart + index;
  }
  let cut = best;
  if (cut <= from) {
    const splitsPair = isHighSurrogate(text.charCodeAt(limit - 1)) && isLowSurrogate(text.charCodeAt(limit));
    cut = splitsPair && limit - 1 > from ? limit - 1 : limit;
  }
  // Inside a word that fits in a chunk and starts after `from` (after a page's leading whitespace, which is no
  // boundary): end before the word instead.
  if (!isSpace(text, cut - 1) && !isSpace(text, cut)) {
    let wordStart = cut;
    while (wordStart > from && !isSpace(text, wordStart - 1)) wordStart--;
    if (wordStart > from && !runExceeds(text, cut, limit - from)) return wordStart;
  }
  return cut;
}

const isSpace = (text: string, i: number) => /\s/.test(text[i] ?? "");
const hasText = (text: string, from: number, to: number) => /\S/.test(text.slice(from, to));

/** Whether the run without whitespace around `at` is longer than `max` (looks at most max + 1 characters). */
function runExceeds(text: string, at: number, max: number): boolean {
  let start = at;
  while (start > 0 && at - start <= max && !isSpace(text, start - 1)) start--;
  let end = at;
  while (end < text.length && end - start <= max && !isSpace(text, end)) end++;
  return end - start > max;
}

const isHighSurrogate = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLowSurrogate = (c: number) => c >= 0xdc00 && c <= 0xdfff;
