import { z } from "zod";
import { FACT_KEY_NAMES, FACT_KEYS, type FactKey, factTypeOf, normaliseFactValue } from "./fact-keys";
import { type Candidate, PRIORITY } from "./rules/candidates";
import { findDates } from "./rules/dates";
import { findEmails } from "./rules/email";
import { indexNames, type NameIndex } from "./rules/known-names";
import { findMoney } from "./rules/money";
import { findPhones } from "./rules/phones";
import { Claims, resolveOverlaps } from "./rules/resolve";
import { findTaxIds } from "./rules/tax-ids";
import { type FoldedText, fold, foldWithOffsets, locate, nameKey } from "./text";
import {
  type EntityType,
  type ExtractedFact,
  type ExtractedRelation,
  type Extraction,
  type ExtractionInput,
  MAX_ENTITIES,
  MAX_FACTS,
} from "./types";

/**
 * What a language model is asked to return — one zod schema, sent as the JSON schema of a constrained answer and used
 * to validate that answer. It asks only for what a model can do well: quote spans and name things. Offsets, keys and
 * confidences are ours: models cannot count characters, and their normalisations drift (see fromModelAnswer).
 */

/** "document" and "contact" nodes are the caller's (the document itself, the contact speaking), not found in text. */
const MODEL_ENTITY_TYPES = ["person", "company", "product", "money", "date", "phone", "email", "tax_id"] as const;
const MODEL_RELATION_TYPES = ["works_at", "manages", "bought", "interested_in"] as const;

export const modelAnswerSchema = z.object({
  entities: z
    .array(
      z.object({
        type: z.enum(MODEL_ENTITY_TYPES),
        text: z.string().describe("The entity exactly as written in the text, copied character for character"),
        name: z.string().describe("Its canonical name: the full company, product or person name; for other types, the text again"),
      }),
    )
    .describe("Every person, company, product, amount of money, date, phone, e-mail and CPF/CNPJ in the text"),
  facts: z
    .array(
      z.object({
        factKey: z.enum(FACT_KEY_NAMES),
        value: z.string().describe("The value, in the format the fact key asks for"),
        quote: z.string().describe("The words of the text that state the fact, copied character for character"),
      }),
    )
    .describe("Facts the speaker states about themselves, in the first person; empty unless the speaker is the contact"),
  relations: z
    .array(
      z.object({
        type: z.enum(MODEL_RELATION_TYPES),
        entityText: z.string().describe("The `text` of one of the entities above"),
      }),
    )
    .describe("The speaker's own relations to those entities, as they state them"),
});

export type ModelAnswer = z.infer<typeof modelAnswerSchema>;

/** The JSON schema of the answer. `$schema` is dropped: it is a document header, and strict servers refuse it. */
export function modelAnswerJsonSchema(): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(modelAnswerSchema) as Record<string, unknown>;
  return schema;
}

/** Known names sent to a model: enough to recognise a project's main names without filling its context. */
const MAX_PROMPT_NAMES = 200;

export function extractionMessages(input: ExtractionInput): { role: "system" | "user"; content: string }[] {
  const keys = (Object.entries(FACT_KEYS) as [FactKey, (typeof FACT_KEYS)[FactKey]][])
    .map(([key, spec]) => `- ${key}: ${spec.about}; value: ${spec.value}`)
    .join("\n");
  const system = [
    "You extract entities and facts from one text of a Brazilian CRM (WhatsApp messages, documents), in Portuguese or English.",
    "The user message is JSON: `text` is what to read; `speaker` says who wrote it (contact, agent or document);",
    "`known` lists the business's own companies, products and contacts, with aliases: use their `name` as the canonical name.",
    "Rules:",
    "- Copy `text`, `quote` and `entityText` exactly from the text. Never rephrase, translate or invent.",
    "- Facts and relations only from first-person statements of the speaker about themselves, and only when the speaker",
    '  is "contact". Not from questions, negations ("não trabalho mais na Acme"), or what others prefer.',
    "- Use only these fact keys:",
    keys,
    "- When nothing fits, return empty lists.",
  ].join("\n");
  const user = JSON.stringify({
    speaker: input.speaker ?? "contact",
    known: (input.known ?? []).slice(0, MAX_PROMPT_NAMES),
    text: input.text,
  });
  return [
    { role: "system", content: system },
    { role: "user", content: user },
  ];
}

/** The rule-based extraction in the model's answer format: what the local stand-in model answers. */
export function toModelAnswer(extraction: Extraction): ModelAnswer {
  const modelTypes: readonly string[] = MODEL_ENTITY_TYPES;
  const modelRelations: readonly string[] = MODEL_RELATION_TYPES;
  return {
    entities: extraction.entities
      .filter((e) => modelTypes.includes(e.type))
      .map((e) => ({ type: e.type as ModelEntityType, text: e.text, name: e.name })),
    facts: extraction.facts.map((f) => ({ factKey: f.factKey as FactKey, value: f.factValue, quote: f.factText })),
    relations: extraction.relations.flatMap((r) => {
      const entity = extraction.entities.find((e) => e.type === r.entityType && e.key === r.entityKey);
      return entity && modelRelations.includes(r.type) ? [{ type: r.type as ModelRelationType, entityText: entity.text }] : [];
    }),
  };
}

type ModelEntityType = (typeof MODEL_ENTITY_TYPES)[number];
type ModelRelationType = (typeof MODEL_RELATION_TYPES)[number];

/** What we trust a model's item to be: below the rules' certainty unless our own parsing confirms it. */
const CONFIDENCE = { entity: 0.75, confirmed: 0.9, fact: 0.7, relation: 0.7 } as const;

/**
 * A validated model answer as an Extraction of `input.text`: every item located in the text (items whose words are
 * not there are dropped, never placed somewhere plausible), keys computed by the same rules as the offline
 * extractor, values normalised by the fact keys' rules, and facts kept only for the contact speaking.
 */
export function fromModelAnswer(answer: ModelAnswer, input: ExtractionInput, offset = 0): Extraction {
  const text = input.text;
  const names = indexNames(input.known);
  const claims = new Claims(text.length);
  const nextSearch = new Map<string, number>();
  const candidates: Candidate[] = [];
  for (const e of answer.entities.slice(0, MAX_ENTITIES)) {
    const span = locate(text, e.text, nextSearch.get(e.text) ?? 0);
    if (!span) continue;
    nextSearch.set(e.text, span.end);
    const c = entityAt(e.type, e.name, text, span, names);
    if (c) candidates.push(c);
  }
  const entities = resolveOverlaps(candidates, claims).map(({ priority: _, ...entity }) => ({
    ...entity,
    start: entity.start + offset,
    end: entity.end + offset,
  }));
  if ((input.speaker ?? "contact") !== "contact") return { entities, facts: [], relations: [] };

  const facts: ExtractedFact[] = [];
  for (const f of answer.facts) {
    const value = normaliseFactValue(f.factKey, f.value);
    const span = locate(text, f.quote);
    if (!value || !span || facts.length >= MAX_FACTS) continue;
    if (facts.some((g) => g.factKey === f.factKey && g.factValue === value)) continue;
    const factText = text.slice(span.start, span.end);
    const factType = factTypeOf(f.factKey);
    facts.push({
      factType,
      factKey: f.factKey,
      factValue: value,
      factText,
      confidence: CONFIDENCE.fact,
      start: span.start + offset,
      end: span.end + offset,
    });
  }
  const relations: ExtractedRelation[] = [];
  for (const r of answer.relations) {
    const wanted = fold(r.entityText).trim();
    const entity = entities.find((e) => fold(e.text) === wanted || fold(e.name) === wanted);
    if (!entity || relations.some((s) => s.type === r.type && s.entityType === entity.type && s.entityKey === entity.key)) continue;
    relations.push({ type: r.type, entityType: entity.type, entityKey: entity.key, confidence: CONFIDENCE.relation });
  }
  return { entities, facts, relations };
}

type Finder = (ft: FoldedText) => Candidate[];
const FINDERS: Partial<Record<EntityType, Finder>> = {
  money: findMoney,
  date: findDates,
  phone: findPhones,
  email: findEmails,
  tax_id: findTaxIds,
};

/**
 * The entity a model quoted, keyed as the offline extractor would key it. Values with a format (money, dates,
 * phones, e-mails, CPF/CNPJ) must parse from the quoted span — a CPF whose check digits fail is dropped however sure
 * the model is; names are matched against the project's own names first.
 */
function entityAt(type: EntityType, name: string, text: string, span: { start: number; end: number }, names: NameIndex): Candidate | null {
  const quoted = text.slice(span.start, span.end);
  const finder = FINDERS[type];
  if (finder) {
    const found = finder(foldWithOffsets(quoted)).filter((c) => c.type === type);
    if (found.length !== 1) return null;
    const c = found[0]!;
    return { ...c, start: span.start + c.start, end: span.start + c.end, confidence: CONFIDENCE.confirmed };
  }
  const known = names.byKey.get(nameKey(type, name)) ?? names.byKey.get(nameKey(type, quoted));
  const canonical = known && known.type === type ? known.name.trim() : name.trim() || quoted;
  const key = nameKey(type, canonical);
  if (!key) return null;
  return { type, name: canonical, key, text: quoted, ...span, confidence: CONFIDENCE.entity, priority: PRIORITY.name };
}
