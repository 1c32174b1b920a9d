import { foldWithOffsets } from "../text";
import { type Extraction, type ExtractionInput, type Extractor, MAX_ENTITIES, MAX_FACTS } from "../types";
import type { Candidate } from "./candidates";
import { findDates } from "./dates";
import { findEmails } from "./email";
import { findKnownNames, indexNames } from "./known-names";
import { findMoney } from "./money";
import { findPhones } from "./phones";
import { Claims, resolveOverlaps } from "./resolve";
import { findStatements } from "./statements";
import { findTaxIds } from "./tax-ids";

/**
 * The offline extractor: patterns for Brazilian and English money, dates, e-mails, phones and CPF/CNPJ, the
 * project's own names, and a fixed list of first-person statements. It reads no meaning — "the contract is worth
 * ten thousand" has no amount for it — and its id says so. Change what it extracts and the version in the id must
 * change with it, so facts can be traced to the rules that produced them.
 */
export const RULES_EXTRACTOR_ID = "ventros/rules-pt-en-v1";

export class RulesExtractor implements Extractor {
  readonly id = RULES_EXTRACTOR_ID;
  readonly semantic = false;

  async extract(input: ExtractionInput): Promise<Extraction> {
    return extractWithRules(input);
  }
}

/** Synchronous and pure; linear in the text's length (every pattern is bounded, every finder capped). */
export function extractWithRules(input: ExtractionInput): Extraction {
  const text = typeof input.text === "string" ? input.text : "";
  if (!text.trim()) return { entities: [], facts: [], relations: [] };
  const ft = foldWithOffsets(text);
  const claims = new Claims(text.length);
  const candidates: Candidate[] = [
    ...findEmails(ft),
    ...findTaxIds(ft),
    ...findMoney(ft),
    ...findDates(ft),
    ...findPhones(ft),
    ...findKnownNames(ft, indexNames(input.known)),
  ];
  const accepted = resolveOverlaps(candidates, claims);
  const firstPerson = (input.speaker ?? "contact") === "contact";
  const statements = firstPerson ? findStatements(ft, accepted, claims) : { facts: [], relations: [], entities: [] };
  const entities = [...accepted, ...statements.entities]
    .sort((a, b) => a.start - b.start)
    .slice(0, MAX_ENTITIES)
    .map(({ priority: _, ...entity }) => entity);
  // A relation is only worth storing if its entity is: past the cap, it would point at a node nobody creates.
  const kept = new Set(entities.map((e) => `${e.type}\u0000${e.key}`));
  return {
    entities,
    facts: statements.facts.sort((a, b) => a.start - b.start).slice(0, MAX_FACTS),
    relations: statements.relations.filter((r) => kept.has(`${r.entityType}\u0000${r.entityKey}`)),
  };
}
