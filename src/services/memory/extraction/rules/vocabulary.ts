/**
 * Closed vocabularies of first-person statements, on folded text: the words for a payment method or a contact
 * channel in Portuguese and English, each to one normalised value. Longest spellings first, so "cartao de credito" is
 * not read as "cartao".
 */

const PAYMENT: [RegExp, string][] = [
  [/cartao\s{1,3}(?:de\s{1,3})?credito|credit\s{1,3}card|credito|credit/y, "credit_card"],
  [/cartao\s{1,3}(?:de\s{1,3})?debito|debit\s{1,3}card|debito|debit/y, "debit_card"],
  [/pix/y, "pix"],
  [/boletos?(?:\s{1,3}bancarios?)?/y, "boleto"],
  [/transferencia(?:\s{1,3}bancaria)?|(?:bank|wire)\s{1,3}transfer|ted|doc|transfer/y, "bank_transfer"],
  [/dinheiro|especie|cash/y, "cash"],
  [/paypal/y, "paypal"],
  [/cartao|card/y, "card"],
];

const CHANNEL: [RegExp, string][] = [
  [/whats\s?app|whats|zap(?:\s?zap)?/y, "whatsapp"],
  [/e-?\s?mail/y, "email"],
  [/sms|mensagens?\s{1,3}de\s{1,3}texto|text\s{1,3}messages?|texts?/y, "sms"],
  [/(?:phone\s{1,3})?calls?|telefone|ligac(?:ao|oes)|phone/y, "phone"],
];

export const PAYMENT_METHODS = ["pix", "boleto", "credit_card", "debit_card", "card", "bank_transfer", "cash", "paypal"] as const;
export const CONTACT_CHANNELS = ["whatsapp", "email", "phone", "sms"] as const;

/** The vocabulary word at `pos` of folded text, as a whole word: its value and where it ends. */
function readWord(table: [RegExp, string][], folded: string, pos: number): { value: string; end: number } | null {
  for (const [pattern, value] of table) {
    pattern.lastIndex = pos;
    const m = pattern.exec(folded);
    if (m && !/[\p{L}\p{N}]/u.test(folded[pos + m[0].length] ?? "")) return { value, end: pos + m[0].length };
  }
  return null;
}

export const readPaymentMethod = (folded: string, pos: number) => readWord(PAYMENT, folded, pos);
export const readContactChannel = (folded: string, pos: number) => readWord(CHANNEL, folded, pos);

/** A model's value for a closed vocabulary: the canonical value itself, or a word of the vocabulary. */
export function vocabularyValue(kind: "payment" | "channel", folded: string): string | null {
  const canonical: readonly string[] = kind === "payment" ? PAYMENT_METHODS : CONTACT_CHANNELS;
  const trimmed = folded.trim();
  if (canonical.includes(trimmed)) return trimmed;
  const found = (kind === "payment" ? readPaymentMethod : readContactChannel)(trimmed, 0);
  return found && found.end === trimmed.length ? found.value : null;
}
