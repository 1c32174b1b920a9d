/**
 * How strongly a place in the text separates what comes before from what follows. A chunk ends at the strongest
 * boundary it can reach; the end of a page counts as a heading (a natural place to stop, not an obligation).
 */
export const Level = { word: 0, line: 1, sentence: 2, paragraph: 3, heading: 4 } as const;
export type Level = (typeof Level)[keyof typeof Level];

export interface Boundaries {
  /** Ascending offsets where a word starts right after whitespace (never 0, never the end). */
  positions: number[];
  levels: Level[];
}

/**
 * Every place a chunk may start or end: the end of each run of whitespace inside the text. Cutting only there
 * means no word is ever split (nor a surrogate pair, nor "R$ 1.250,00" or "12.03.2026": their dots are inside a
 * word), and each chunk keeps the whitespace that follows it.
 */
export function findBoundaries(text: string): Boundaries {
  const positions: number[] = [];
  const levels: Level[] = [];
  for (const m of text.matchAll(/\s+/g)) {
    const start = m.index;
    const end = start + m[0].length;
    if (start === 0 || end === text.length) continue;
    positions.push(end);
    levels.push(levelOf(text, start, end, m[0]));
  }
  return { positions, levels };
}

const HEADING = /#{1,6}(?=\s|$)/y;

function levelOf(text: string, start: number, end: number, space: string): Level {
  const newlines = countNewlines(space);
  if (newlines > 0) {
    HEADING.lastIndex = end;
    if (HEADING.test(text)) return Level.heading;
  }
  if (newlines > 1) return Level.paragraph;
  if (endsSentence(text, start, end)) return Level.sentence;
  return newlines > 0 ? Level.line : Level.word;
}

function countNewlines(s: string) {
  let n = 0;
  for (const c of s) if (c === "\n") n++;
  return n;
}

const CLOSERS = new Set([")", "]", '"', "'", "”", "’", "»"]);
const OPENERS = /^[(["'“‘«]+/;
const TERMINAL = new Set(["!", "?", ";", "…"]);
/** Words that end in a dot without ending a sentence, mostly before a name or a number ("Sr. Silva", "art. 5"). */
const ABBREVIATIONS = new Set(
  (
    "sr sra srs sras srta dr dra drs dras prof profa profs eng enga exmo exma ilmo ilma sto sta " +
    "mr mrs ms st jr av al art arts inc par cap caps fig figs vol pag pág pp no nº núm num tel cel " +
    "ref obs aprox cf vs ex e.g i.e ed min máx max nr"
  ).split(" "),
);

/** Whether the whitespace at [start, end) follows the end of a sentence (".", "!", "?", ";" or "…"). */
function endsSentence(text: string, start: number, end: number): boolean {
  let i = start - 1;
  while (i >= 0 && CLOSERS.has(text[i]!)) i--;
  const mark = text[i];
  if (mark === undefined) return false;
  if (TERMINAL.has(mark)) return true;
  if (mark !== ".") return false;
  let wordStart = i;
  while (wordStart > 0 && !/\s/.test(text[wordStart - 1]!)) wordStart--;
  const word = text.slice(wordStart, i).replace(OPENERS, "");
  if (word.endsWith(".")) return true; // an ellipsis written "..."
  if (/^\p{L}$/u.test(word) || ABBREVIATIONS.has(word.toLowerCase())) return false; // initials, "Sr."
  if (/^\d{1,3}$/.test(word) && atLineStart(text, wordStart)) return false; // a numbered item: "1. Objeto"
  // "p. ex. o valor", "etc. e outros": a sentence does not go on in lower case.
  return !/^\p{Ll}/u.test(text.slice(end, end + 2));
}

function atLineStart(text: string, at: number) {
  let i = at - 1;
  while (i >= 0 && (text[i] === " " || text[i] === "\t")) i--;
  return i < 0 || text[i] === "\n";
}
