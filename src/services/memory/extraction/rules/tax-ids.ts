import { type FoldedText, foldWithOffsets } from "../text";
import { type Candidate, candidate, cueBefore, matches, PRIORITY } from "./candidates";

/**
 * Brazilian taxpayer ids, only with valid check digits: CPF (people, 11 digits) and CNPJ (companies, 14 characters —
 * digits, or since July 2026 letters too in the first twelve, IN RFB 2.229/2024). Keys "cpf:<digits>",
 * "cnpj:<characters>", whatever the formatting.
 */

// Formatted ("123.456.789-09") or bare ("12345678909"); not inside a longer run of numbers and separators.
const CPF = /(?<![\p{N}./-])(\d{3})\.?(\d{3})\.?(\d{3})-?(\d{2})(?!\d|[./-]\d)/gu;
// "12.345.678/0001-95", "12345678000195", "12.ABC.345/01DE-35" (folded to lowercase here).
const CNPJ =
  /(?<![\p{L}\p{N}./-])([0-9a-z]{2})(\.?)([0-9a-z]{3})\.?([0-9a-z]{3})(\/?)([0-9a-z]{4})(-?)(\d{2})(?![\p{L}\p{N}]|[./-][\p{L}\p{N}])/gu;

// A cue word, then at most two short words ("é o", "is:") before the number.
const CUE_TAIL = String.raw`\.?\W{0,4}(?:\w{1,3}\W{1,4}){0,2}$`;
/** A number right after these is a phone, whatever else its digits could be. */
export const PHONE_CUE = new RegExp(
  String.raw`\b(?:tel|telefone|fone|cel|celular|whats|whatsapp|zap|phone|mobile|cell|ligar|ligue|contato)` + CUE_TAIL,
);
const TAX_CUE = new RegExp(String.raw`\b(?:cpf|cnpj)` + CUE_TAIL);

export function findTaxIds(ft: FoldedText): Candidate[] {
  const out: Candidate[] = [];
  for (const m of matches(CPF, ft.text)) {
    const digits = m[1]! + m[2] + m[3] + m[4];
    if (!isValidCpf(digits)) continue;
    // One CPF in a hundred is also a well-formed mobile number; after "meu celular é" it is the phone.
    const bare = m[0].length === 11;
    if (bare && cueBefore(ft.text, m.index, PHONE_CUE) && !cueBefore(ft.text, m.index, TAX_CUE)) continue;
    out.push(
      candidate(ft, "tax_id", m.index, m.index + m[0].length, {
        name: `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6, 9)}-${digits.slice(9)}`,
        key: `cpf:${digits}`,
        confidence: 0.95,
        priority: PRIORITY.tax_id,
      }),
    );
  }
  for (const m of matches(CNPJ, ft.text)) {
    const id = (m[1]! + m[3] + m[4] + m[6] + m[8]).toUpperCase();
    // Letters only in the formatted form: twelve letters and two digits bare are far more often a code or a word.
    const formatted = m[2] && m[5] && m[7];
    if (/[A-Z]/.test(id) && !formatted) continue;
    if (!isValidCnpj(id)) continue;
    out.push(
      candidate(ft, "tax_id", m.index, m.index + m[0].length, {
        name: `${id.slice(0, 2)}.${id.slice(2, 5)}.${id.slice(5, 8)}/${id.slice(8, 12)}-${id.slice(12)}`,
        key: `cnpj:${id}`,
        confidence: 0.95,
        priority: PRIORITY.tax_id,
      }),
    );
  }
  return out;
}

/** Mod-11 check digits (Receita Federal); repeated digits ("111.111.111-11") pass the arithmetic but are not CPFs. */
export function isValidCpf(digits: string): boolean {
  if (!/^\d{11}$/.test(digits) || /^(\d)\1{10}$/.test(digits)) return false;
  const check = (length: number) => {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += Number(digits[i]) * (length + 1 - i);
    const rest = (sum * 10) % 11;
    return rest === 10 ? 0 : rest;
  };
  return check(9) === Number(digits[9]) && check(10) === Number(digits[10]);
}

/**
 * Mod-11 with weights 2–9 from the right; each character counts as its code minus 48, so digits are themselves and
 * letters (alphanumeric CNPJ) follow the Receita's table (A = 17 … Z = 42).
 */
export function isValidCnpj(id: string): boolean {
  if (!/^[0-9A-Z]{12}\d{2}$/.test(id) || /^(.)\1{13}$/.test(id)) return false;
  const check = (length: number) => {
    let sum = 0;
    for (let i = 0; i < length; i++) sum += (id.charCodeAt(i) - 48) * (((length - 1 - i) % 8) + 2);
    const rest = sum % 11;
    return rest < 2 ? 0 : 11 - rest;
  };
  return check(12) === Number(id[12]) && check(13) === Number(id[13]);
}

/** The tax-id key ("cpf:…", "cnpj:…") a short text is, if valid. */
export function taxIdKeyOf(value: string): string | null {
  const trimmed = value.trim();
  const prefixed = /^(cpf|cnpj):([0-9A-Za-z]+)$/i.exec(trimmed);
  const found = findTaxIds(foldWithOffsets(prefixed ? prefixed[2]! : trimmed));
  return found.length === 1 ? found[0]!.key : null;
}
