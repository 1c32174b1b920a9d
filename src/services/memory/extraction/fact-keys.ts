import { emailOf } from "./rules/email";
import { moneyKeyOf } from "./rules/money";
import { phoneOf } from "./rules/phones";
import { taxIdKeyOf } from "./rules/tax-ids";
import { CONTACT_CHANNELS, PAYMENT_METHODS, vocabularyValue } from "./rules/vocabulary";
import { fold, nameKey, words } from "./text";
import type { FactType } from "./types";

/**
 * The fact keys, in one place. Facts are consolidated per (contact, fact_key): one current value per key, a
 * different value later supersedes it (the old one stays in the history). So a key names a single-valued property of
 * the contact, and the same statement must always give the same key and the same value — whoever extracted it:
 *
 * - keys are `<fact_type>.<subject>[.<aspect>]`, lowercase, dotted, fixed: extractors choose from this list and
 *   never make keys up (a model offered free keys would say "preference.payment" one day and
 *   "preference.payment_method" the next, and the contact would get two current facts that should be one);
 * - values are normalised by the key's rule below (a closed vocabulary, or an entity key), so "PIX", "pix" and "Pix"
 *   are one value and "R$ 500" equals "R$ 500,00";
 * - event keys hold the latest event of their kind ("event.purchase" is the last purchase; earlier ones are history).
 *
 * Adding a key: add it here with its type, its value rule and a description (models read it). Renaming one orphans
 * the facts stored under the old name.
 */
export const FACT_KEYS = {
  "preference.payment.method": {
    type: "preference",
    value: `one of ${PAYMENT_METHODS.join(", ")}`,
    about: "how the contact prefers to pay",
  },
  "preference.contact.channel": {
    type: "preference",
    value: `one of ${CONTACT_CHANNELS.join(", ")}`,
    about: "how the contact prefers to be contacted",
  },
  "preference.product.interest": {
    type: "preference",
    value: "the product's name",
    about: "a product or plan the contact says they are interested in",
  },
  "constraint.budget.max": {
    type: "constraint",
    value: 'the amount as "<ISO currency> <amount with 2 decimals>", e.g. "BRL 500.00"',
    about: "the most the contact says they can pay",
  },
  "attribute.contact.name": { type: "attribute", value: "the name", about: "the contact's own name" },
  "attribute.contact.email": { type: "attribute", value: "the e-mail address", about: "the contact's own e-mail" },
  "attribute.contact.phone": { type: "attribute", value: "the number in E.164, e.g. +5511987654321", about: "the contact's own phone" },
  "attribute.contact.cpf": { type: "attribute", value: "the CPF", about: "the contact's own CPF (Brazilian individual taxpayer id)" },
  "attribute.contact.cnpj": { type: "attribute", value: "the CNPJ", about: "the CNPJ of the contact's own business" },
  "attribute.employer": { type: "attribute", value: "the company's name", about: "the company the contact works at" },
  "attribute.location": { type: "attribute", value: "the place's name", about: "where the contact lives" },
  "event.purchase": { type: "event", value: "the product's name", about: "something the contact says they bought (the latest)" },
} as const satisfies Record<string, { type: FactType; value: string; about: string }>;

export type FactKey = keyof typeof FACT_KEYS;
export const FACT_KEY_NAMES = Object.keys(FACT_KEYS) as [FactKey, ...FactKey[]];

export const factTypeOf = (key: FactKey): FactType => FACT_KEYS[key].type;

const placeValue = (value: string) => words(fold(value)).join(" ") || null;

/** Each key's value rule: the normalised value, or null when the value is not one (the fact is then dropped). */
const NORMALISE: Record<FactKey, (value: string) => string | null> = {
  "preference.payment.method": (v) => vocabularyValue("payment", fold(v)),
  "preference.contact.channel": (v) => vocabularyValue("channel", fold(v)),
  "preference.product.interest": (v) => nameKey("product", v) || null,
  "constraint.budget.max": moneyKeyOf,
  "attribute.contact.name": (v) => nameKey("person", v) || null,
  "attribute.contact.email": emailOf,
  "attribute.contact.phone": phoneOf,
  "attribute.contact.cpf": (v) => cpfOrCnpj(v, "cpf"),
  "attribute.contact.cnpj": (v) => cpfOrCnpj(v, "cnpj"),
  "attribute.employer": (v) => nameKey("company", v) || null,
  "attribute.location": placeValue,
  "event.purchase": (v) => nameKey("product", v) || null,
};

function cpfOrCnpj(value: string, kind: "cpf" | "cnpj"): string | null {
  const key = taxIdKeyOf(value);
  return key?.startsWith(`${kind}:`) ? key : null;
}

export function normaliseFactValue(key: FactKey, value: string): string | null {
  return NORMALISE[key](value);
}
