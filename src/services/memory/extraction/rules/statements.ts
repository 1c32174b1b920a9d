import { type FactKey, factTypeOf, normaliseFactValue } from "../fact-keys";
import { type FoldedText, nameKey, originalSpan } from "../text";
import type { EntityType, ExtractedFact, ExtractedRelation, RelationType } from "../types";
import { type Candidate, matches, PRIORITY } from "./candidates";
import { readPhrase } from "./phrases";
import type { Claims } from "./resolve";
import { readContactChannel, readPaymentMethod } from "./vocabulary";

/**
 * Explicit first-person statements of the contact: "prefiro pagar com PIX", "meu e-mail é …", "trabalho na Acme",
 * "I'm interested in the Pro plan". Only these: a fact is something the contact said about themselves, so "ele
 * prefere boleto", a negation ("não trabalho mais na Acme", "I'm not interested") and a question ("posso pagar até
 * R$ 500?") say nothing. Triggers run on folded text ("é" is "e", "não" is "nao", "I’m" is "i'm").
 */

type ObjectKind =
  | "preference" // a payment method or a contact channel, from the vocabularies
  | "email"
  | "phone"
  | "cpf"
  | "cnpj"
  | "budget" // an amount
  | "employer" // a known company, or a capitalised name
  | "known-employer" // only a known company: "sou do Rio" is where one is from, "trabalho em São Paulo" where one works
  | "place"
  | "product"
  | "purchase"
  | "name";

const S = String.raw`\s{1,3}`;
const trigger = (source: string) => new RegExp(String.raw`(?<![\p{L}\p{N}'])(?:${source})(?![\p{L}\p{N}])`, "gu");

const STATEMENTS: { kind: ObjectKind; trigger: RegExp }[] = [
  { kind: "preference", trigger: trigger(`(?:eu${S})?(?:prefiro|preferimos|preferiria|preferia)|(?:i|we)(?:'d|${S}would)?${S}prefer`) },
  {
    kind: "email",
    trigger: trigger(`(?:o${S})?meu${S}(?:endereco${S}de${S})?e-?\\s?mail|my${S}e-?\\s?mail(?:${S}address)?`),
  },
  {
    kind: "phone",
    trigger: trigger(
      `meu${S}(?:telefone|celular|numero(?:${S}de${S}(?:telefone|celular|whats\\s?app))?|whats\\s?app|whats|zap|fone|tel)` +
        `|my${S}(?:phone(?:${S}number)?|number|mobile(?:${S}number)?|cell(?:${S}phone)?|whats\\s?app)`,
    ),
  },
  { kind: "cpf", trigger: trigger(`(?:meu|my)${S}cpf`) },
  { kind: "cnpj", trigger: trigger(`(?:meu|my|nosso|our)${S}cnpj`) },
  { kind: "name", trigger: trigger(`meu${S}nome${S}(?:e|eh)|me${S}chamo|my${S}name${S}is|i(?:'m|${S}am)${S}called`) },
  {
    kind: "employer",
    trigger: trigger(
      `(?:eu${S})?(?:trabalho|trampo)${S}(?:na|no|pela|pelo|para${S}(?:a|o)|pra|numa|num)` +
        `|(?:i${S}work|i${S}am${S}working|i'm${S}working)${S}(?:at|for)(?:${S}the)?`,
    ),
  },
  { kind: "known-employer", trigger: trigger(`(?:eu${S})?(?:trabalho${S}em|sou${S}(?:da|do))`) },
  {
    kind: "place",
    trigger: trigger(`(?:eu${S})?(?:moro|resido)${S}(?:em|no|na|nos|nas)|(?:i|we)${S}(?:live|reside)${S}in|i(?:'m|${S}am)${S}based${S}in`),
  },
  {
    kind: "budget",
    trigger: trigger(
      `(?:eu${S})?(?:nao|so)${S}(?:posso|consigo)${S}(?:pagar|gastar|investir)${S}(?:mais${S}(?:de|do${S}que|que)|ate|acima${S}de)` +
        `|(?:eu${S})?(?:posso|consigo)${S}(?:pagar|gastar|investir)${S}(?:no${S}maximo|ate)` +
        `|meu${S}orcamento(?:${S}maximo)?(?:${S}(?:e|eh))?(?:${S}de)?(?:${S}ate)?` +
        `|i${S}(?:can't|cannot|can${S}not|can${S}only|could${S}only)${S}(?:pay|spend|afford)(?:${S}(?:more${S}than|over|above|up${S}to))?` +
        `|my${S}(?:max(?:imum)?${S})?budget${S}is(?:${S}(?:up${S}to|at${S}most))?`,
    ),
  },
  {
    kind: "product",
    trigger: trigger(
      `(?:eu${S})?(?:tenho|teria)${S}(?:muito${S}|bastante${S})?interesse${S}(?:no|na|nos|nas|em|pelo|pela|por)` +
        `|(?:eu${S})?(?:estou|to|tou|fiquei|estamos)${S}(?:muito${S})?interessad[oa]s?${S}(?:no|na|nos|nas|em|pelo|pela)` +
        `|me${S}interess(?:o|ei)${S}(?:pelo|pela|por|no|na)` +
        `|(?:i'm|i${S}am|we're|we${S}are)${S}(?:very${S}|really${S}|also${S})?interested${S}in`,
    ),
  },
  {
    kind: "purchase",
    trigger: trigger(
      `(?:eu${S})?(?:comprei|adquiri|assinei|contratei)` +
        `|(?:i|we)(?:'ve|${S}have)?${S}(?:bought|purchased|subscribed${S}to|signed${S}up${S}for)`,
    ),
  },
];

/** Words between a preference verb and its object ("prefiro pagar com o", "I'd prefer to be contacted by"). */
const PAY_WORDS = new Set(["pagar", "pagamento", "pay", "paying", "payment"]);
const CONTACT_WORDS = new Set(["falar", "conversar", "contato", "contatado", "contatada", "contacted", "reached", "talk", "talking"]);
const FILLERS = new Set(
  "com via por pelo pela no na em o a um uma to with by using through the an ser be being receber receive que me de".split(" "),
);
// "é", "is", ":" between "meu e-mail" and the address.
const LINKER = /\s{0,3}(?:(?:e|eh|is|sera|seria|fica)\s{1,3})?(?:o\s{1,3})?[:=-]?\s{0,3}/y;
// What may stand between "trabalho na" / "tenho interesse em" and the name, and is not part of it: "tenho interesse
// em contratar o plano Pro", "trabalho na empresa Acme".
const OBJECT_PREFIX = new RegExp(
  `(?:(?:contratar|assinar|comprar|adquirir|conhecer|buying|purchasing|getting|subscribing${S}to)${S})?` +
    `(?:(?:o|a|os|as|um|uma|the|an|your)${S})?` +
    `(?:(?:empresa|companhia|firma|company)${S})?`,
  "y",
);
const NEGATION = /(?:^|[^\p{L}\p{N}])(?:nao|nunca|jamais|nem|not|never|no longer)\s{1,3}(?:[\p{L}']+\s{1,3})?$/u;

export interface Statements {
  facts: ExtractedFact[];
  relations: ExtractedRelation[];
  /** Companies and products named only in a statement ("trabalho na Zeta" where Zeta is no known company). */
  entities: Candidate[];
}

export function findStatements(ft: FoldedText, entities: Candidate[], claims: Claims): Statements {
  const byStart = new Map(entities.map((e) => [e.start, e]));
  const out: Statements = { facts: [], relations: [], entities: [] };
  const seen = new Set<string>();
  for (const { kind, trigger } of STATEMENTS) {
    for (const m of matches(trigger, ft.text)) {
      const start = m.index;
      if (NEGATION.test(ft.text.slice(Math.max(0, start - 24), start))) continue;
      const found = readObject(kind, ft, start + m[0].length, byStart, claims);
      if (!found || isQuestion(ft.text, found.end)) continue;
      const value = normaliseFactValue(found.factKey, found.value);
      if (!value || seen.has(`${found.factKey}@${start}`)) continue;
      seen.add(`${found.factKey}@${start}`);
      const span = originalSpan(ft, start, found.end);
      out.facts.push({
        factType: factTypeOf(found.factKey),
        factKey: found.factKey,
        factValue: value,
        factText: ft.original.slice(span.start, span.end),
        confidence: found.confidence,
        start: span.start,
        end: span.end,
      });
      const entity = found.entity;
      if (!entity) continue;
      if (found.newEntity) {
        claims.claim(entity.start, entity.end);
        byStart.set(entity.start, entity);
        out.entities.push(entity);
      }
      if (found.relation) {
        out.relations.push({ type: found.relation, entityType: entity.type, entityKey: entity.key, confidence: found.confidence });
      }
    }
  }
  return out;
}

interface FoundObject {
  factKey: FactKey;
  /** Raw value, normalised by the key's rule. */
  value: string;
  /** Folded end of the object. */
  end: number;
  confidence: number;
  entity?: Candidate;
  newEntity?: boolean;
  relation?: RelationType;
}

function readObject(kind: ObjectKind, ft: FoldedText, pos: number, byStart: Map<number, Candidate>, claims: Claims): FoundObject | null {
  const skip = (pattern: RegExp, at: number) => {
    pattern.lastIndex = at;
    return pattern.exec(ft.text) ? pattern.lastIndex : at;
  };
  const entityAt = (at: number, types: EntityType[]) => {
    const e = at < ft.text.length ? byStart.get(ft.from[at]!) : undefined;
    return e && types.includes(e.type) ? e : undefined;
  };
  const endOf = (e: Candidate) => foldedEnd(ft, e.end, pos);
  const taken = (s: number, e: number) => claims.isTaken(s, e);

  switch (kind) {
    case "preference":
      return readPreference(ft, pos);
    case "email":
    case "phone":
    case "cpf":
    case "cnpj":
    case "budget": {
      const type: EntityType = kind === "cpf" || kind === "cnpj" ? "tax_id" : kind === "budget" ? "money" : kind;
      const e = entityAt(skip(LINKER, pos), [type]);
      if (!e || ((kind === "cpf" || kind === "cnpj") && !e.key.startsWith(`${kind}:`))) return null;
      const factKey = FACT_OF[kind];
      return { factKey, value: e.key, end: endOf(e), confidence: 0.9 };
    }
    case "name": {
      const phrase = readPhrase(ft, skip(/\s{0,3}/y, pos), { capitalised: false, connectors: true, maxWords: 4 }, taken);
      return phrase && { factKey: "attribute.contact.name", value: slice(ft, phrase), end: phrase.end, confidence: 0.8 };
    }
    case "place": {
      const phrase = readPhrase(ft, skip(/\s{0,3}/y, pos), { capitalised: false, connectors: true, maxWords: 5 }, taken);
      return phrase && { factKey: "attribute.location", value: slice(ft, phrase), end: phrase.end, confidence: 0.7 };
    }
    case "employer":
    case "known-employer": {
      const at = skip(OBJECT_PREFIX, skip(/\s{0,3}/y, pos));
      const known = entityAt(at, ["company"]);
      if (known)
        return {
          factKey: "attribute.employer",
          value: known.key,
          end: endOf(known),
          entity: known,
          relation: "works_at",
          confidence: 0.85,
        };
      if (kind === "known-employer") return null;
      const phrase = readPhrase(ft, at, { capitalised: true, connectors: true, maxWords: 5 }, taken);
      if (!phrase) return null;
      const entity = newEntity(ft, "company", phrase);
      return {
        factKey: "attribute.employer",
        value: entity.key,
        end: phrase.end,
        entity,
        newEntity: true,
        relation: "works_at",
        confidence: 0.6,
      };
    }
    case "product":
    case "purchase": {
      const [factKey, relation]: [FactKey, RelationType] =
        kind === "product" ? ["preference.product.interest", "interested_in"] : ["event.purchase", "bought"];
      const at = skip(OBJECT_PREFIX, skip(/\s{0,3}/y, pos));
      const known = entityAt(at, ["product", "company"]);
      if (known) return { factKey, value: known.key, end: endOf(known), entity: known, relation, confidence: 0.85 };
      const phrase = readPhrase(ft, at, { capitalised: false, connectors: false, maxWords: 4 }, taken);
      if (!phrase) return null;
      const entity = newEntity(ft, "product", phrase);
      return { factKey, value: entity.key, end: phrase.end, entity, newEntity: true, relation, confidence: 0.6 };
    }
  }
}

const FACT_OF = {
  email: "attribute.contact.email",
  phone: "attribute.contact.phone",
  cpf: "attribute.contact.cpf",
  cnpj: "attribute.contact.cnpj",
  budget: "constraint.budget.max",
} as const satisfies Record<string, FactKey>;

function readPreference(ft: FoldedText, pos: number): FoundObject | null {
  const word = /\s{1,3}([\p{L}']+)/uy;
  let at = pos;
  let payment = false;
  let contact = false;
  // At most four linking words ("pagar com o", "to be contacted by").
  for (let n = 0; n < 4; n++) {
    word.lastIndex = at;
    const w = word.exec(ft.text)?.[1];
    if (!w || !(PAY_WORDS.has(w) || CONTACT_WORDS.has(w) || FILLERS.has(w))) break;
    payment ||= PAY_WORDS.has(w);
    contact ||= CONTACT_WORDS.has(w);
    at = word.lastIndex;
  }
  const space = /\s{1,3}/y;
  space.lastIndex = at;
  if (space.exec(ft.text)) at = space.lastIndex;
  const method = contact ? null : readPaymentMethod(ft.text, at);
  if (method) return { factKey: "preference.payment.method", value: method.value, end: method.end, confidence: 0.8 };
  const channel = payment ? null : readContactChannel(ft.text, at);
  if (channel) return { factKey: "preference.contact.channel", value: channel.value, end: channel.end, confidence: 0.8 };
  return null;
}

function newEntity(ft: FoldedText, type: "company" | "product", phrase: { start: number; end: number }): Candidate {
  const span = originalSpan(ft, phrase.start, phrase.end);
  const text = ft.original.slice(span.start, span.end);
  return { type, name: text, key: nameKey(type, text), text, ...span, confidence: 0.6, priority: PRIORITY.name };
}

const slice = (ft: FoldedText, phrase: { start: number; end: number }) => {
  const span = originalSpan(ft, phrase.start, phrase.end);
  return ft.original.slice(span.start, span.end);
};

/** The folded position just after original offset `end`, searching forward from `from`. */
function foldedEnd(ft: FoldedText, end: number, from: number): number {
  let i = from;
  while (i < ft.to.length && ft.to[i]! <= end) i++;
  return i;
}

/** Whether the sentence holding the statement ends with a question mark ("posso pagar até R$ 500?"). */
function isQuestion(folded: string, from: number): boolean {
  const rest = folded.slice(from, from + 80);
  const end = rest.search(/[.!?\n]/);
  return end >= 0 && rest[end] === "?";
}
