import { type FoldedText, foldWithOffsets } from "../text";
import { type Candidate, candidate, cueBefore, matches, PRIORITY } from "./candidates";
import { isValidCpf, PHONE_CUE } from "./tax-ids";

/**
 * Phone numbers, keyed E.164 ("+5511987654321"): Brazilian ones with or without "+55" ("(11) 98765-4321",
 * "11 3456-7890", "11987654321") and international ones written with "+" ("+1 415 555 2671"). A number without an
 * area code cannot be made E.164 and is left alone; so are digit runs that are something else — CPFs, amounts, dates
 * and order numbers ("pedido 11987654321").
 */

/** Brazil's area codes (DDD): two digits alone are too common to call any of them a phone. */
const DDD = new Set(
  (
    "11 12 13 14 15 16 17 18 19 21 22 24 27 28 31 32 33 34 35 37 38 41 42 43 44 45 46 47 48 49 51 53 54 55 61 62 63 64 " +
    "65 66 67 68 69 71 73 74 75 77 79 81 82 83 84 85 86 87 88 89 91 92 93 94 95 96 97 98 99"
  ).split(" "),
);

// "+" then digits, spaces, dots, dashes and parentheses, ending on a digit: one bounded character class, so an
// attempt never backtracks more than ~22 characters. The groups are sorted out in code.
const INTERNATIONAL = /(?<![\p{L}\p{N}+])\+\d[\d\s().-]{6,22}\d(?!\d)/gu;
// Brazilian without "+": optional "55", the area code (in parentheses, or with a trunk "0"), then a mobile number
// (9 + 8 digits) or a landline (2–5 + 7 digits), each as 4-4 or 5-4 with an optional separator.
const NATIONAL = /(?<![\p{N}+./,-])(?:55[\s.-]{0,2})?(?:\((\d{2})\)|0?(\d{2}))[\s.-]{0,2}(9\d{4}|[2-5]\d{3})[\s.-]?(\d{4})(?!\d|[.,-]\d)/gu;
/** Numbers after these words are references, not phones. */
const REFERENCE_CUE =
  /\b(?:pedido|protocolo|nota|nf|nfe|boleto|codigo|conta|agencia|order|invoice|ticket|ref|rg|cpf|cnpj)\W{0,4}(?:\w{1,3}\W{1,4}){0,2}$/;

export function findPhones(ft: FoldedText): Candidate[] {
  const out: Candidate[] = [];
  for (const m of matches(INTERNATIONAL, ft.text)) {
    const phone = international(m[0]);
    if (phone) out.push(phoneCandidate(ft, m.index, m.index + phone.length, phone.e164, 0.9));
  }
  for (const m of matches(NATIONAL, ft.text)) {
    const subscriber = m[3]! + m[4];
    const e164 = brazilian(m[1] ?? m[2]!, subscriber);
    if (!e164) continue;
    const bare = /^\d+$/.test(m[0]);
    const cued = cueBefore(ft.text, m.index, PHONE_CUE);
    if (!cued && cueBefore(ft.text, m.index, REFERENCE_CUE)) continue;
    // A bare run of 11 digits that is a valid CPF is read as the CPF unless the words before say "phone".
    if (bare && !cued && m[0].length === 11 && isValidCpf(m[0])) continue;
    out.push(phoneCandidate(ft, m.index, m.index + m[0].length, e164, bare && !cued ? 0.7 : 0.9));
  }
  return out;
}

function phoneCandidate(ft: FoldedText, start: number, end: number, e164: string, confidence: number): Candidate {
  return candidate(ft, "phone", start, end, { name: phoneName(e164), key: e164, confidence, priority: PRIORITY.phone });
}

function brazilian(ddd: string, subscriber: string): string | null {
  if (!DDD.has(ddd)) return null;
  const mobile = subscriber.length === 9 && subscriber[0] === "9";
  const landline = subscriber.length === 8 && /^[2-5]/.test(subscriber);
  return mobile || landline ? `+55${ddd}${subscriber}` : null;
}

/**
 * "+55 11 98765-4321 2024" reads past the phone into the next number: drop trailing groups until what is left is a
 * valid number. Returns the length of the text kept and its E.164 form.
 */
function international(raw: string): { e164: string; length: number } | null {
  let text = raw;
  while (text.length > 8) {
    const e164 = checkInternational(text);
    if (e164) return { e164, length: text.length };
    const cut = text.search(/[\s().-]+\d+$/);
    if (cut <= 0) return null;
    text = text.slice(0, cut);
  }
  return null;
}

function checkInternational(text: string): string | null {
  // Parentheses only around one group, as in "+1 (415) 555-2671"; never doubled separators like "1..2".
  if (/[\s.-]{3,}|\(\s*\)|\([^)]*\(/.test(text)) return null;
  const digits = text.replace(/\D/g, "");
  if (digits.length < 8 || digits.length > 15) return null;
  if (digits.startsWith("55")) return brazilian(digits.slice(2, 4), digits.slice(4));
  // North America: +1, a ten-digit number whose area code and exchange do not start with 0 or 1.
  if (digits.startsWith("1")) return /^1[2-9]\d{2}[2-9]\d{6}$/.test(digits) ? `+${digits}` : null;
  return `+${digits}`;
}

/** "+55 11 98765-4321" for Brazilian numbers; E.164 as is for the rest (their grouping varies by country). */
function phoneName(e164: string): string {
  const br = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(e164);
  return br ? `+55 ${br[1]} ${br[2]}-${br[3]}` : e164;
}

/** The E.164 form of a short text that is one phone number, or null. */
export function phoneOf(value: string): string | null {
  const found = findPhones(foldWithOffsets(value.trim()));
  return found.length === 1 ? found[0]!.key : null;
}
