import { type FoldedText, foldWithOffsets } from "../text";
import { type Candidate, candidate, matches, PRIORITY } from "./candidates";

/**
 * Amounts with their currency: "R$ 10.000,00", "R$10 mil", "R$ 1,5 milhão", "US$ 1,200.50", "$1,200", "USD 300",
 * "€ 50", "500 reais", "10 mil reais". Keys are "<ISO currency> <amount with two decimals>" ("BRL 10000.00"), so
 * "R$ 10 mil" and "R$ 10.000,00" are one entity. A number without a currency is not money: it could be anything.
 */

const CURRENCIES: Record<string, string> = {
  r$: "BRL",
  brl: "BRL",
  reais: "BRL",
  real: "BRL",
  us$: "USD",
  u$: "USD",
  $: "USD",
  usd: "USD",
  dolares: "USD",
  dolar: "USD",
  dollars: "USD",
  dollar: "USD",
  "€": "EUR",
  eur: "EUR",
  euros: "EUR",
  euro: "EUR",
  "£": "GBP",
  gbp: "GBP",
};

/** Powers of ten the words stand for ("1,5 milhão" is 1.5 × 10⁶; "bi" is the Brazilian billion, 10⁹). */
const MULTIPLIERS: Record<string, number> = {
  mil: 3,
  k: 3,
  thousand: 3,
  milhao: 6,
  milhoes: 6,
  mi: 6,
  mm: 6,
  m: 6,
  million: 6,
  millions: 6,
  bilhao: 9,
  bilhoes: 9,
  bi: 9,
  bn: 9,
  billion: 9,
  billions: 9,
};

// Either thousands groups of exactly three ("10.000", "1,200,000") with optional decimals, or a plain run of digits
// with optional decimals ("1000,00", "1,5"). Every quantifier is bounded, so an attempt reads at most ~30 characters
// whatever the input: a megabyte of "1.1.1.1…" costs a linear scan, not a backtracking explosion.
const NUMBER = String.raw`(\d{1,3}(?:[.,]\d{3}){1,4}(?:[.,]\d{1,2})?|\d{1,13}(?:[.,]\d{1,2})?)`;
// The number must end there: "10.000,001" is not "10.000" followed by something.
const NUMBER_END = String.raw`(?!\d|[.,]\d)`;
const MULTIPLIER =
  String.raw`(?:\s{0,2}(milhoes|milhao|millions|million|thousand|bilhoes|bilhao|billions|billion|mil|mm|mi|bn|bi|k|m)` +
  String.raw`(?![\p{L}\p{N}]))?`;

// "R$ 10.000,00", "US$1,200", "USD 300", "€ 50", "R$ 10 mil reais". Not after a letter or digit: "US$" is one
// symbol, not "US" + "$".
const PREFIXED = new RegExp(
  String.raw`(?<![\p{L}\p{N}$€£])(r\$|us\$|u\$|\$|€|£|brl|usd|eur|gbp)\s{0,2}` +
    NUMBER +
    NUMBER_END +
    MULTIPLIER +
    String.raw`(?:\s{1,2}(?:reais|dolares|dollars|euros)(?![\p{L}\p{N}]))?`,
  "gu",
);
// "500 reais", "10 mil reais", "300 USD". Not the tail of a longer number.
const SUFFIXED = new RegExp(
  String.raw`(?<![\p{L}\p{N}.,$€£])` +
    NUMBER +
    NUMBER_END +
    MULTIPLIER +
    String.raw`\s{0,2}(reais|real|dolares|dolar|dollars|dollar|euros|euro|usd|brl|eur|gbp)(?![\p{L}\p{N}])`,
  "gu",
);

export interface Amount {
  currency: string;
  cents: bigint;
}

export function findMoney(ft: FoldedText): Candidate[] {
  const out: Candidate[] = [];
  for (const m of matches(PREFIXED, ft.text)) {
    const amount = toAmount(m[1]!, m[2]!, m[3]);
    // A lone "$" is also how some Brazilians write reais; the explicit symbols are surer.
    if (amount) out.push(moneyCandidate(ft, m, amount, m[1] === "$" ? 0.8 : 0.95));
  }
  for (const m of matches(SUFFIXED, ft.text)) {
    const amount = toAmount(m[3]!, m[1]!, m[2]);
    if (amount) out.push(moneyCandidate(ft, m, amount, 0.85));
  }
  return out;
}

function moneyCandidate(ft: FoldedText, m: RegExpExecArray, amount: Amount, confidence: number): Candidate {
  return candidate(ft, "money", m.index, m.index + m[0].length, {
    name: moneyName(amount),
    key: moneyKey(amount),
    confidence,
    priority: PRIORITY.money,
  });
}

function toAmount(symbol: string, number: string, multiplier: string | undefined): Amount | null {
  const currency = CURRENCIES[symbol];
  const parsed = parseNumber(number);
  if (!currency || !parsed) return null;
  const exponent = multiplier ? MULTIPLIERS[multiplier]! : 0;
  // digits × 10^(exponent − decimals), in cents. With a multiplier the decimals (at most two) are always absorbed.
  const shift = exponent - parsed.decimals.length + 2;
  if (shift < 0) return null;
  return { currency, cents: BigInt(parsed.integer + parsed.decimals) * 10n ** BigInt(shift) };
}

/**
 * Which separator is the decimal one, without knowing the writer's convention: with both kinds the last one is
 * ("1.234,56", "1,234.56"); with one kind, one or two digits after a single separator are decimals ("1,5", "10.50")
 * and groups of three are thousands ("1.500", "1,500", "1.000.000"). "1,500" in reais is therefore 1 500, the way
 * it is meant far more often than 1,5 written with a stray zero.
 */
function parseNumber(raw: string): { integer: string; decimals: string } | null {
  const seps = [...raw.matchAll(/[.,]/g)].map((m) => ({ char: m[0], at: m.index }));
  if (seps.length === 0) return { integer: raw, decimals: "" };
  const last = seps.at(-1)!;
  const tail = raw.slice(last.at + 1);
  const mixed = seps.some((s) => s.char !== last.char);
  const decimalLast = tail.length <= 2;
  if (mixed && !decimalLast) return null;
  if (decimalLast) {
    // The others must be thousands of the other kind: "1.000.00" says neither.
    if (seps.slice(0, -1).some((s) => s.char === last.char)) return null;
    return { integer: raw.slice(0, last.at).replace(/[.,]/g, ""), decimals: tail };
  }
  return { integer: raw.replace(/[.,]/g, ""), decimals: "" };
}

export function moneyKey({ currency, cents }: Amount): string {
  return `${currency} ${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
}

const SYMBOLS: Record<string, string> = { BRL: "R$", USD: "US$", EUR: "€", GBP: "£" };

/** "R$ 10.000,00" in reais, as Brazilians write it; "US$ 1,200.50" and "€ 50.00" otherwise. */
export function moneyName({ currency, cents }: Amount): string {
  const integer = String(cents / 100n);
  const decimals = String(cents % 100n).padStart(2, "0");
  const [group, point] = currency === "BRL" ? [".", ","] : [",", "."];
  return `${SYMBOLS[currency] ?? currency} ${integer.replace(/\B(?=(\d{3})+$)/g, group)}${point}${decimals}`;
}

/** The money key a short text states ("R$ 500", "BRL 500.00"), or null: how model answers are normalised. */
export function moneyKeyOf(value: string): string | null {
  const trimmed = value.trim();
  if (/^[A-Z]{3} \d{1,20}\.\d{2}$/.test(trimmed) && Object.values(CURRENCIES).includes(trimmed.slice(0, 3))) return trimmed;
  const found = findMoney(foldWithOffsets(trimmed));
  return found.length === 1 ? found[0]!.key : null;
}
