/**
 * Formatting written by hand instead of Intl: ICU data differs between Node and workerd, and the fixture test
 * compares bytes. Money is always integer cents.
 */

const group = (n: number, sep: string) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, sep);
const cents2 = (cents: number) => String(cents % 100).padStart(2, "0");

/** R$ 12.500,00 */
export const brl = (cents: number) => `R$ ${group(Math.floor(cents / 100), ".")},${cents2(cents)}`;
/** R$ 12,500.00 — English documents of a Brazilian company still bill in reais. */
export const brlEn = (cents: number) => `R$ ${group(Math.floor(cents / 100), ",")}.${cents2(cents)}`;

const UNITS = [
  "zero",
  "um",
  "dois",
  "três",
  "quatro",
  "cinco",
  "seis",
  "sete",
  "oito",
  "nove",
  "dez",
  "onze",
  "doze",
  "treze",
  "catorze",
  "quinze",
  "dezesseis",
  "dezessete",
  "dezoito",
  "dezenove",
];
const TENS = ["", "", "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta", "noventa"];
const HUNDREDS = [
  "",
  "cento",
  "duzentos",
  "trezentos",
  "quatrocentos",
  "quinhentos",
  "seiscentos",
  "setecentos",
  "oitocentos",
  "novecentos",
];

function below1000(n: number): string {
  if (n === 100) return "cem";
  const parts: string[] = [];
  if (n >= 100) parts.push(HUNDREDS[Math.floor(n / 100)]!);
  const rest = n % 100;
  if (rest >= 20) {
    parts.push(TENS[Math.floor(rest / 10)]!);
    if (rest % 10) parts.push(UNITS[rest % 10]!);
  } else if (rest > 0 || !parts.length) parts.push(UNITS[rest]!);
  return parts.join(" e ");
}

/** Portuguese number words below one million, as contracts spell amounts ("doze mil e quinhentos"). */
export function numberWords(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n >= 1_000_000) throw new Error(`numberWords: ${n} out of range`);
  const thousands = Math.floor(n / 1000);
  const rest = n % 1000;
  if (!thousands) return below1000(rest);
  const head = thousands === 1 ? "mil" : `${below1000(thousands)} mil`;
  if (!rest) return head;
  // "mil e quinhentos", "mil e vinte", but "mil duzentos e cinquenta".
  return rest < 100 || rest % 100 === 0 ? `${head} e ${below1000(rest)}` : `${head} ${below1000(rest)}`;
}

/** Counting feminine nouns ("2 (duas) visitas", "1 (uma) unidade"); enough for the small counts documents use. */
export const numberWordsFem = (n: number) =>
  numberWords(n)
    .replace(/\bum$/, "uma")
    .replace(/\bdois$/, "duas");

/** "doze mil e quinhentos reais e trinta centavos" */
export function amountWords(cents: number): string {
  const reais = Math.floor(cents / 100);
  const c = cents % 100;
  const r = reais ? `${numberWords(reais)} ${reais === 1 ? "real" : "reais"}` : "";
  const cs = c ? `${numberWords(c)} ${c === 1 ? "centavo" : "centavos"}` : "";
  return [r, cs].filter(Boolean).join(" e ");
}

/** R$ 12.500,00 (doze mil e quinhentos reais) */
export const brlFull = (cents: number) => `${brl(cents)} (${amountWords(cents)})`;

export interface Day {
  y: number;
  m: number;
  d: number;
}

const fromUtc = (t: number): Day => {
  const dt = new Date(t);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
};
export const addDays = (day: Day, n: number) => fromUtc(Date.UTC(day.y, day.m - 1, day.d + n));
/** Same day of the month, clamped (31/01 + 1 month = 28/02), as contract terms are read. */
export function addMonths(day: Day, n: number): Day {
  const first = fromUtc(Date.UTC(day.y, day.m - 1 + n, 1));
  const last = fromUtc(Date.UTC(first.y, first.m, 0)).d;
  return { ...first, d: Math.min(day.d, last) };
}

export const MONTHS_PT = [
  "janeiro",
  "fevereiro",
  "março",
  "abril",
  "maio",
  "junho",
  "julho",
  "agosto",
  "setembro",
  "outubro",
  "novembro",
  "dezembro",
];
export const MONTHS_EN = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const pad = (n: number) => String(n).padStart(2, "0");
/** 05/03/2025 */
export const datePt = (x: Day) => `${pad(x.d)}/${pad(x.m)}/${x.y}`;
/** 5 de março de 2025 */
export const longDatePt = (x: Day) => `${x.d} de ${MONTHS_PT[x.m - 1]} de ${x.y}`;
/** March 5, 2025 */
export const dateEn = (x: Day) => `${MONTHS_EN[x.m - 1]} ${x.d}, ${x.y}`;

/** A CNPJ with valid check digits, so anyone validating the fixture's numbers is not misled. */
export function cnpj(base12: string): string {
  const digits = base12.split("").map(Number);
  const check = (weights: number[]) => {
    const sum = weights.reduce((acc, w, i) => acc + w * digits[i]!, 0);
    const r = sum % 11;
    return r < 2 ? 0 : 11 - r;
  };
  digits.push(check([5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]));
  digits.push(check([6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]));
  const s = digits.join("");
  return `${s.slice(0, 2)}.${s.slice(2, 5)}.${s.slice(5, 8)}/${s.slice(8, 12)}-${s.slice(12)}`;
}

/** How people type on a phone keyboard in a hurry: "orcamento", "garantia do liquidificador". */
export const stripAccents = (s: string) => s.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
