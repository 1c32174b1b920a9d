import type { FoldedText } from "../text";
import { type Candidate, candidate, matches, PRIORITY } from "./candidates";

/**
 * Calendar dates, keyed ISO ("2024-10-15"): "15/10/2024", "15/10/24", "15.10.2024", "2024-10-15", "15 de outubro de
 * 2024", "1º de maio de 2024", "October 15, 2024", "15 Oct 2024". Only whole dates: without a year, "15 de outubro"
 * could be any year, and a guessed year would be an invented fact. Impossible dates (31/02) are not dates.
 */

const MONTHS: Record<string, number> = {
  janeiro: 1,
  fevereiro: 2,
  marco: 3,
  abril: 4,
  maio: 5,
  junho: 6,
  julho: 7,
  agosto: 8,
  setembro: 9,
  outubro: 10,
  novembro: 11,
  dezembro: 12,
  january: 1,
  february: 2,
  march: 3,
  april: 4,
  may: 5,
  june: 6,
  july: 7,
  august: 8,
  september: 9,
  october: 10,
  november: 11,
  december: 12,
  jan: 1,
  fev: 2,
  feb: 2,
  mar: 3,
  abr: 4,
  apr: 4,
  mai: 5,
  jun: 6,
  jul: 7,
  ago: 8,
  aug: 8,
  set: 9,
  sep: 9,
  sept: 9,
  out: 10,
  oct: 10,
  nov: 11,
  dez: 12,
  dec: 12,
};
// Longest first, so "setembro" is not read as "set".
const MONTH = `(${Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join("|")})`;

// Day, month and year with one separator used twice ("15/10/2024", "15-10-24", "15.10.2024"); not part of a longer
// run of numbers and separators (a CPF, an IP address, a version).
const NUMERIC = /(?<![\p{N}/.-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?!\d|[/.-]\d)/gu;
const ISO = /(?<![\p{N}/.-])(\d{4})([/-])(\d{2})\2(\d{2})(?!\d|[/.-]\d)/gu;
// "15 de outubro de 2024", "1º de maio de 2024", "15 October 2024", "15th Oct, 2024".
const DAY_MONTH = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(\d{1,2})(?:º|°|o|st|nd|rd|th)?\s{1,3}(?:de\s{1,3})?` +
    MONTH +
    String.raw`\.?,?\s{1,3}(?:de\s{1,3})?(\d{4})(?!\p{N})`,
  "gu",
);
// "October 15, 2024", "Oct. 15th 2024".
const MONTH_DAY = new RegExp(
  String.raw`(?<![\p{L}\p{N}])` + MONTH + String.raw`\.?\s{1,3}(\d{1,2})(?:st|nd|rd|th)?,?\s{1,3}(\d{4})(?!\p{N})`,
  "gu",
);

export function findDates(ft: FoldedText): Candidate[] {
  const out: Candidate[] = [];
  const push = (m: RegExpExecArray, year: number, month: number, day: number, confidence: number) => {
    if (!isRealDate(year, month, day)) return;
    const iso = `${year}-${pad(month)}-${pad(day)}`;
    out.push(candidate(ft, "date", m.index, m.index + m[0].length, { name: iso, key: iso, confidence, priority: PRIORITY.date }));
  };
  for (const m of matches(NUMERIC, ft.text)) {
    const [a, b, year] = [Number(m[1]), Number(m[3]), fullYear(m[4]!)];
    // Brazilian order first; "10/15/2024" can only be the American one, so it is read so, less surely.
    if (isRealDate(year, b, a)) push(m, year, b, a, 0.9);
    else push(m, year, a, b, 0.7);
  }
  for (const m of matches(ISO, ft.text)) push(m, Number(m[1]), Number(m[3]), Number(m[4]), 0.95);
  for (const m of matches(DAY_MONTH, ft.text)) push(m, Number(m[3]), MONTHS[m[2]!]!, Number(m[1]), 0.9);
  for (const m of matches(MONTH_DAY, ft.text)) push(m, Number(m[3]), MONTHS[m[1]!]!, Number(m[2]), 0.9);
  return out;
}

/** Two-digit years as people mean them in messages: "24" is 2024, "98" is 1998. */
function fullYear(raw: string): number {
  const n = Number(raw);
  if (raw.length === 4) return n;
  return n < 70 ? 2000 + n : 1900 + n;
}

export function isRealDate(year: number, month: number, day: number): boolean {
  if (year < 1900 || year > 2199 || month < 1 || month > 12 || day < 1) return false;
  // Day 0 of the next month is the last day of this one (leap years included).
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO date a model wrote ("2024-10-15"), if it is a real one. */
export function isoDateOf(value: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  return m && isRealDate(Number(m[1]), Number(m[2]), Number(m[3])) ? m[0] : null;
}
