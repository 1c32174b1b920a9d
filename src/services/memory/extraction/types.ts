/**
 * What extraction gives the memory service: entities with their spans, first-person facts about the contact, and the
 * contact's explicit relations to entities. Pure data: storing, consolidating and linking to sources is the caller's.
 */

export const ENTITY_TYPES = ["person", "company", "product", "money", "date", "phone", "email", "tax_id", "document", "contact"] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export const FACT_TYPES = ["preference", "constraint", "attribute", "event"] as const;
export type FactType = (typeof FACT_TYPES)[number];

export const RELATION_TYPES = ["works_at", "manages", "bought", "interested_in", "mentions", "sent"] as const;
export type RelationType = (typeof RELATION_TYPES)[number];

/** The project's own names (companies, products, contacts), so they are found however the text spells them. */
export interface KnownName {
  type: "company" | "product" | "person";
  name: string;
  aliases?: string[];
}

export interface ExtractionInput {
  text: string;
  known?: KnownName[];
  /**
   * Who wrote the text. "I prefer PIX" is the contact's fact only when the contact said it: an agent's or a
   * document's first person is someone else. Absent means the contact (a message whose author is unknown to the
   * caller is treated as the customer's).
   */
  speaker?: "contact" | "agent" | "document";
}

export interface ExtractedEntity {
  type: EntityType;
  /** Canonical display: "R$ 10.000,00", "Acme Ltda", "+55 11 98765-4321". */
  name: string;
  /**
   * Unique within the type, so the same thing written two ways is one entity: money "BRL 10000.00", date
   * "2024-10-15", email lowercased, phone E.164, "cpf:<11 digits>" / "cnpj:<14 characters>", names accent-folded and
   * lowercased with whitespace collapsed (companies also without their legal suffix).
   */
  key: string;
  /** As found: `input.text.slice(start, end)`. */
  text: string;
  start: number;
  end: number;
  confidence: number;
}

export interface ExtractedFact {
  factType: FactType;
  /** One of FACT_KEYS (fact-keys.ts). */
  factKey: string;
  /** Normalised by the key's own rule (e.g. "pix", "BRL 500.00", "sao paulo"). */
  factValue: string;
  /** The words that state it, as found in the text. */
  factText: string;
  confidence: number;
  start: number;
  end: number;
}

/** From the contact (the speaker) to one of `entities`, by its type and key. */
export interface ExtractedRelation {
  type: RelationType;
  entityType: EntityType;
  entityKey: string;
  confidence: number;
}

export interface Extraction {
  entities: ExtractedEntity[];
  facts: ExtractedFact[];
  relations: ExtractedRelation[];
}

export interface Extractor {
  /** The model (or rule set) that produced an extraction, e.g. "ventros/rules-pt-en-v1". */
  readonly id: string;
  /** False for the rule-based extractor: it finds patterns and listed names, it does not understand the text. */
  readonly semantic: boolean;
  extract(input: ExtractionInput): Promise<Extraction>;
}

/** At most this many entities per call: a pasted spreadsheet must not turn into thousands of graph rows. */
export const MAX_ENTITIES = 500;
export const MAX_FACTS = 100;
