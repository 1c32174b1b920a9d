import { z } from "zod";
import { nothing, nullableTimestamp, timestamp } from "../../shared/output";
import { flagInput, numberInput } from "../../shared/schemas";
import { defineVerb } from "../../verbs/define";
import { ENTITY_TYPES, FACT_TYPES } from "../extraction/types";
import { correctFact, deleteFact, listContactFacts } from "./facts";
import { documentReferences, entityGraph, listEntities } from "./queries";

/**
 * The knowledge the memory keeps — facts about contacts with their history, entities and their graph, and which
 * documents mention an entity — as verbs: REST routes (src/http/routes/knowledge.ts) and MCP tools (src/mcp/tools.ts)
 * are views of these. Reads are `crm:read`; a person's correction or deletion of a fact is working the contact
 * (`contacts:write`, and a `user` only on contacts they may work).
 */

const Fact = z
  .object({
    id: z.string(),
    contactId: z.string(),
    factType: z.enum(FACT_TYPES),
    factKey: z.string().describe("Normalised key, e.g. preference.payment.method (one current fact per contact and key)"),
    factValue: z.string().nullable().describe("Normalised value, e.g. pix, BRL 500.00"),
    factText: z.string().describe("The words that state it"),
    confidence: z.number().describe("0–1; grows with each further source stating the same value"),
    sourceCount: z.number(),
    sourceIds: z.array(z.string()).describe("Messages it was observed in (the latest 50); none for a person's correction"),
    origin: z.enum(["extracted", "human"]),
    extractor: z.string().nullable(),
    current: z.boolean().describe("False for history: superseded or deleted"),
    validFrom: timestamp,
    lastObservedAt: timestamp,
    invalidatedAt: nullableTimestamp,
    invalidatedReason: z.enum(["contradicted", "corrected", "deleted"]).nullable(),
    supersededById: z.string().nullable(),
    contradictingSourceId: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "Fact" });

type FactRow = Awaited<ReturnType<typeof listContactFacts>>[number];
const toFact = (r: FactRow): z.input<typeof Fact> => ({
  id: r.id,
  contactId: r.contactId,
  factType: r.factType as z.infer<typeof Fact>["factType"],
  factKey: r.factKey,
  factValue: r.factValue,
  factText: r.factText,
  confidence: r.confidence,
  sourceCount: r.sourceCount,
  sourceIds: r.sourceIds,
  origin: r.origin as "extracted" | "human",
  extractor: r.extractor,
  current: r.invalidatedAt === null,
  validFrom: r.validFrom,
  lastObservedAt: r.lastObservedAt,
  invalidatedAt: r.invalidatedAt,
  invalidatedReason: r.invalidatedReason as z.infer<typeof Fact>["invalidatedReason"],
  supersededById: r.supersededById,
  contradictingSourceId: r.contradictingSourceId,
  createdAt: r.createdAt,
});

const factId = z.uuid().describe("The fact id");
const factType = z.enum(FACT_TYPES);

export const listFactsVerb = defineVerb({
  name: "facts.list",
  summary: "What the memory knows about a contact: current facts, or their whole history",
  permission: "crm:read",
  input: z.object({
    contactId: z.uuid().describe("The contact id"),
    factType: factType.optional(),
    includeHistory: flagInput().optional().describe("Also superseded and deleted facts, with why (default false)"),
    limit: numberInput(z.number().int().min(1).max(500)).default(200),
  }),
  output: z.object({ data: z.array(Fact) }).meta({ id: "FactList" }),
  emits: [],
  run: async (ctx, { contactId, ...q }) => ({ data: (await listContactFacts(ctx, contactId, q)).map(toFact) }),
});

export const updateFactVerb = defineVerb({
  name: "facts.update",
  summary: "Correct a current fact: a new current fact (origin human, confidence 1) supersedes it; the old one stays in the history",
  permission: "contacts:write",
  input: z.object({
    factId,
    factValue: z.string().trim().min(1).max(500).nullable().optional().describe("Normalised by the key's rule"),
    factText: z.string().trim().min(1).max(2000).optional(),
    factType: factType.optional(),
  }),
  rules: ({ factId: _, ...fields }) =>
    Object.values(fields).some((v) => v !== undefined) ? [] : [{ path: "", message: "give at least one field to change" }],
  output: Fact,
  emits: ["fact.superseded"],
  run: async (ctx, { factId, ...fields }) => toFact(await correctFact(ctx, factId, fields)),
});

export const deleteFactVerb = defineVerb({
  name: "facts.delete",
  summary: "Delete a current fact (it is invalidated with reason deleted and kept in the history)",
  permission: "contacts:write",
  input: z.object({ factId }),
  output: nothing,
  emits: ["fact.deleted"],
  run: (ctx, { factId }) => deleteFact(ctx, factId),
});

const Entity = z
  .object({
    id: z.string(),
    entityType: z.string().describe(`One of ${ENTITY_TYPES.join(", ")}`),
    name: z.string(),
    normalizedKey: z.string(),
    aliases: z.array(z.string()),
    mentionCount: z.number(),
    firstSeenAt: timestamp,
    lastSeenAt: timestamp,
  })
  .meta({ id: "Entity" });

const searchText = (what: string) => z.string().trim().min(1).max(200).describe(what);

export const listEntitiesVerb = defineVerb({
  name: "entities.list",
  summary: "Entities the memory has seen (companies, products, people, amounts…), by name, alias or key",
  permission: "crm:read",
  input: z.object({
    q: searchText("A name, alias or value (accents, case and a company's legal suffix do not matter)").optional(),
    type: z.enum(ENTITY_TYPES).optional(),
    limit: numberInput(z.number().int().min(1).max(100)).default(50),
  }),
  output: z.object({ data: z.array(Entity) }).meta({ id: "EntityList" }),
  emits: [],
  run: async (ctx, q) => ({ data: await listEntities(ctx, q) }),
});

const Node = z.object({
  type: z.string().describe("contact, document, chunk, message, or an entity type"),
  id: z.string(),
  label: z.string().nullable(),
  depth: z.number(),
});
const Edge = z.object({
  id: z.string(),
  fromType: z.string(),
  fromId: z.string(),
  toType: z.string(),
  toId: z.string(),
  relationshipType: z.string(),
  strength: z.number(),
  evidenceCount: z.number(),
  metadata: z.record(z.string(), z.unknown()),
  lastSeenAt: timestamp,
  depth: z.number(),
});

export const entityGraphVerb = defineVerb({
  name: "entities.graph",
  summary: "An entity's neighbourhood in the knowledge graph (edges to depth 2, strongest first, bounded)",
  permission: "crm:read",
  input: z.object({
    entityId: z.uuid().describe("The entity id"),
    depth: numberInput(z.number().int().min(1).max(2)).default(2),
    limit: numberInput(z.number().int().min(1).max(500)).default(200).describe("Edges in all"),
  }),
  output: z
    .object({ entity: Entity, nodes: z.array(Node.meta({ id: "GraphNode" })), edges: z.array(Edge.meta({ id: "GraphEdge" })) })
    .meta({ id: "EntityGraph" }),
  emits: [],
  run: (ctx, { entityId, ...q }) => entityGraph(ctx, entityId, q),
});

export const documentReferencesVerb = defineVerb({
  name: "documents.references",
  summary: "Every document (and page) that mentions an entity, found by name, alias, normalised key or id",
  permission: "crm:read",
  input: z.object({
    entity: searchText('The entity: "Acme", "ACME S.A.", "R$ 10.000,00", an e-mail, a CNPJ, or an entity id'),
    limit: numberInput(z.number().int().min(1).max(100)).default(50),
  }),
  output: z
    .object({
      entity: z.string(),
      matches: z.array(Entity).describe("The entities it names"),
      documents: z.array(
        z
          .object({
            documentId: z.string(),
            title: z.string(),
            documentType: z.string(),
            pages: z.array(z.number()).describe("Pages that mention it"),
            mentions: z.number().describe("Passages that mention it"),
            strength: z.number(),
            entityIds: z.array(z.string()),
            lastSeenAt: timestamp,
          })
          .meta({ id: "DocumentReference" }),
      ),
      total: z.number(),
    })
    .meta({ id: "DocumentReferences" }),
  emits: [],
  run: (ctx, { entity, limit }) => documentReferences(ctx, entity, limit),
});
