import { z } from "zod";
import { documentSourceEnum, documentStatusEnum, documentTypeEnum } from "../../db/schema/enums";
import { PageQuery } from "../shared/crud";
import { nothing, nullableTimestamp, page, timestamp } from "../shared/output";
import { flagInput, listInput, numberInput } from "../shared/schemas";
import { defineVerb } from "../verbs/define";
import { deleteDocument, getDocument, getDocumentContent, listDocuments, uploadDocument } from "./documents/service";
import { reembedProject } from "./reembed";
import { CHANNELS } from "./search/channels";
import { type SearchHit, searchMemory } from "./search/service";

const Document = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    contactId: z.string().nullable(),
    title: z.string(),
    documentType: z.enum(documentTypeEnum.enumValues),
    mimeType: z.string(),
    filename: z.string().nullable(),
    bytes: z.number(),
    sha256: z.string(),
    pageCount: z.number().nullable(),
    chunkCount: z.number().nullable(),
    source: z.enum(documentSourceEnum.enumValues),
    status: z.enum(documentStatusEnum.enumValues),
    error: z.string().nullable(),
    embeddingModel: z.string().nullable(),
    knowledge: z
      .object({
        extractedAt: z.string(),
        extractor: z.string().describe("The extractor's model id, e.g. ventros/rules-pt-en-v1"),
        entities: z.number().describe("Distinct entities found"),
        mentions: z.number().describe("Mentions linked to the document's chunks"),
      })
      .nullable()
      .describe("When the knowledge graph last read the document (after it became ready); null until then"),
    processedAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Document" });
type DocumentOut = z.infer<typeof Document>;
/** The stored row without what stays internal (the R2 key, free-form metadata): of the metadata, only its knowledge. */
const toDocument = <T extends Omit<DocumentOut, "knowledge">>({
  storageKey: _,
  metadata,
  ...doc
}: T & { storageKey: string; metadata: unknown }) =>
  ({ ...doc, knowledge: (metadata as { knowledge?: DocumentOut["knowledge"] } | null)?.knowledge ?? null }) as DocumentOut;

const documentId = z.uuid().describe("The document id");
const contactId = z.uuid().describe("Only this contact's items");
const documentType = z.enum(documentTypeEnum.enumValues);
const query = z
  .string()
  .trim()
  .min(1)
  .max(1000)
  .describe('What to look for, in natural language; "quoted phrases" must match, -word excludes');

const ChannelScore = z.object({
  rank: z.number(),
  score: z.number(),
  weight: z.number().describe("The channel's weight in the fusion for this search (fused = Σ weight / (k + rank))"),
});
const Scores = z
  .object({
    fused: z.number().describe("Reciprocal Rank Fusion: Σ weight / (k + rank) over the channels that found it"),
    channels: z.object(Object.fromEntries(CHANNELS.map((c) => [c, ChannelScore.optional()]))),
    rerank: z.number().nullable(),
  })
  .meta({ id: "SearchScores" });
const Models = z
  .object({
    embedding: z.string(),
    semantic: z.boolean().describe("False for the offline stand-in embedder: it matches words and n-grams, not meaning"),
    reranker: z.string().nullable(),
  })
  .meta({ id: "SearchModels" });
const Hit = z
  .object({
    id: z.string(),
    contentType: z.string(),
    contentSubtype: z.string().nullable(),
    content: z.string(),
    documentId: z.string().nullable(),
    contactId: z.string().nullable(),
    sessionId: z.string().nullable(),
    messageId: z.string().nullable(),
    pageNumber: z.number().nullable(),
    chunkIndex: z.number().nullable(),
    documentTitle: z.string().nullable(),
    documentType: z.string().nullable(),
    createdAt: timestamp,
    scores: Scores,
  })
  .meta({ id: "SearchHit" });

const hitOut = (h: SearchHit) => ({
  id: h.id,
  contentType: h.contentType,
  contentSubtype: h.contentSubtype,
  content: h.content,
  documentId: h.documentId,
  contactId: h.contactId,
  sessionId: h.sessionId,
  messageId: h.messageId,
  pageNumber: typeof h.metadata.page_number === "number" ? h.metadata.page_number : null,
  chunkIndex: typeof h.metadata.chunk_index === "number" ? h.metadata.chunk_index : null,
  documentTitle: typeof h.metadata.document_title === "string" ? h.metadata.document_title : null,
  documentType: typeof h.metadata.document_type === "string" ? h.metadata.document_type : null,
  createdAt: h.createdAt,
  scores: h.scores,
});

const SearchInput = z.object({
  query,
  limit: numberInput(z.number().int().min(1).max(100)).default(10),
  contactId: contactId.optional(),
  sessionId: z.uuid().optional().describe("Only this session's items"),
  documentId: z.uuid().optional().describe("Only this document's chunks"),
  documentType: documentType.optional(),
  contentTypes: listInput(z.enum(["document", "message", "session", "fact"]), 4)
    .optional()
    .describe("Kinds of memory to search (comma-separated in a query string); all by default"),
  channels: listInput(z.enum(CHANNELS), CHANNELS.length)
    .optional()
    .describe("Retrieval channels to fuse (comma-separated in a query string); vector, keyword, bm25 and graph by default"),
  vectorWeight: numberInput(z.number().min(0).max(10)).optional(),
  keywordWeight: numberInput(z.number().min(0).max(10)).optional(),
  bm25Weight: numberInput(z.number().min(0).max(10)).optional(),
  graphWeight: numberInput(z.number().min(0).max(10))
    .optional()
    .describe("The graph's weight (default 1); tripled for hits about an entity the question names"),
  recentWeight: numberInput(z.number().min(0).max(10)).optional(),
  rrfK: numberInput(z.number().min(1).max(1000)).optional().describe("Reciprocal Rank Fusion's k (60 by default)"),
  rerank: flagInput().optional().describe("Rerank the fused candidates when a reranker is configured (default true)"),
});
type SearchArgs = z.infer<typeof SearchInput>;
const toSearch = ({ vectorWeight, keywordWeight, bm25Weight, graphWeight, recentWeight, ...rest }: SearchArgs) => ({
  ...rest,
  weights: { vector: vectorWeight, keyword: keywordWeight, bm25: bm25Weight, graph: graphWeight, recent: recentWeight },
});

export const uploadDocumentVerb = defineVerb({
  name: "documents.upload",
  summary: "Upload a document (PDF, plain text or Markdown); it is processed in the background",
  permission: "documents:write",
  input: z.object({
    content: z.instanceof(Uint8Array).describe("The file's bytes"),
    filename: z.string().max(300).optional(),
    mimeType: z.string().max(200).optional(),
    title: z.string().trim().max(300).optional(),
    documentType: documentType.optional(),
    contactId: z.uuid().optional().describe("The contact the document belongs to"),
  }),
  output: Document.extend({ duplicate: z.boolean().describe("The same file was already in the project: that document") }).meta({
    id: "DocumentUpload",
  }),
  emits: ["document.uploaded"],
  run: async (ctx, input) => {
    const doc = await uploadDocument(ctx, input);
    return { ...toDocument(doc), duplicate: doc.duplicate };
  },
});

export const listDocumentsVerb = defineVerb({
  name: "documents.list",
  summary: "List the project's documents, newest first",
  permission: "crm:read",
  input: PageQuery.extend({
    contactId: contactId.optional(),
    status: z.enum(documentStatusEnum.enumValues).optional(),
    documentType: documentType.optional(),
  }),
  output: page(Document, "DocumentPage"),
  emits: [],
  run: async (ctx, q) => {
    const p = await listDocuments(ctx, q);
    return { ...p, data: p.data.map(toDocument) };
  },
});

export const getDocumentVerb = defineVerb({
  name: "documents.get",
  summary: "A document and its processing status",
  permission: "crm:read",
  input: z.object({ documentId }),
  output: Document,
  emits: [],
  run: async (ctx, { documentId }) => toDocument(await getDocument(ctx, documentId)),
});

export const documentContentVerb = defineVerb({
  name: "documents.content",
  summary: "A document's full text, rebuilt in order from its chunks, with its pages",
  permission: "crm:read",
  input: z.object({ documentId }),
  output: z
    .object({
      documentId: z.string(),
      title: z.string(),
      documentType: z.enum(documentTypeEnum.enumValues),
      pageCount: z.number().nullable(),
      text: z.string(),
      pages: z.array(z.object({ pageNumber: z.number(), text: z.string() })),
    })
    .meta({ id: "DocumentContent" }),
  emits: [],
  run: (ctx, { documentId }) => getDocumentContent(ctx, documentId),
});

export const deleteDocumentVerb = defineVerb({
  name: "documents.delete",
  summary: "Delete a document, its searchable chunks and its stored original",
  permission: "documents:delete",
  input: z.object({ documentId }),
  output: nothing,
  emits: ["document.deleted"],
  run: (ctx, { documentId }) => deleteDocument(ctx, documentId),
});

export const searchMemoryVerb = defineVerb({
  name: "memory.search",
  summary: "Hybrid search over the project's memory (vector, keyword, BM25, recency; fused by RRF; optional rerank)",
  permission: "crm:read",
  input: SearchInput,
  output: z
    .object({
      query: z.string(),
      results: z.array(Hit),
      total: z.number(),
      channels: z.array(z.enum(CHANNELS)),
      reranked: z.boolean(),
      models: Models,
    })
    .meta({ id: "MemorySearch" }),
  emits: [],
  run: async (ctx, input) => {
    const r = await searchMemory(ctx, toSearch(input));
    return { ...r, results: r.results.map(hitOut) };
  },
});

const DocumentHit = z
  .object({
    content: z.string(),
    documentId: z.string(),
    documentTitle: z.string().nullable(),
    documentType: z.string().nullable(),
    pageNumber: z.number().nullable(),
    chunkIndex: z.number().nullable(),
    similarity: z.number().nullable().describe("Cosine similarity to the query (null when the vector channel did not find it)"),
    scores: Scores,
  })
  .meta({ id: "DocumentSearchHit" });

export const searchDocumentsVerb = defineVerb({
  name: "documents.search",
  summary: "Find the passages of the project's documents that answer a question (hybrid search)",
  permission: "crm:read",
  input: z.object({ query, contactId: contactId.optional(), documentType: documentType.optional(), limit: SearchInput.shape.limit }),
  output: z
    .object({ documents: z.array(DocumentHit), total: z.number(), query: z.string(), reranked: z.boolean(), models: Models })
    .meta({ id: "DocumentSearch" }),
  emits: [],
  run: async (ctx, input) => {
    const r = await searchMemory(ctx, { ...input, contentTypes: ["document"] });
    const documents = r.results.map(hitOut).map((h) => ({
      content: h.content,
      documentId: h.documentId!,
      documentTitle: h.documentTitle,
      documentType: h.documentType,
      pageNumber: h.pageNumber,
      chunkIndex: h.chunkIndex,
      similarity: h.scores.channels.vector?.score ?? null,
      scores: h.scores,
    }));
    return { documents, total: documents.length, query: r.query, reranked: r.reranked, models: r.models };
  },
});

const Fact = z
  .object({
    id: z.string(),
    contactId: z.string(),
    factType: z.string().describe("preference, constraint, attribute or event"),
    factKey: z.string().describe("Normalised key, e.g. preference.payment.method"),
    factValue: z.string().nullable(),
    factText: z.string(),
    confidence: z.number(),
    sourceCount: z.number(),
    lastObservedAt: z.date(),
    validFrom: z.date(),
    match: z.number().describe("How well the fact's words match the question (0: not at all)"),
  })
  .meta({ id: "MemoryFact" });

export const searchAllMemoryVerb = defineVerb({
  name: "memory.search_all",
  summary:
    "Search what the memory knows about a question: the current facts (the contact's when contact_id is given; matching ones first, " +
    "then by confidence and recency) and the embedded memory (documents, messages)",
  permission: "crm:read",
  input: z.object({
    query,
    contactId: contactId.optional(),
    memoryTypes: listInput(z.enum(["fact", "document", "message"]), 3)
      .optional()
      .describe("fact, document and message by default"),
    limit: SearchInput.shape.limit,
  }),
  output: z
    .object({
      facts: z.array(Fact),
      embeddings: z.object({ results: z.array(Hit), total: z.number(), reranked: z.boolean(), models: Models }),
      query: z.string(),
    })
    .meta({ id: "MemorySearchAll" }),
  emits: [],
  run: async (ctx, { memoryTypes, ...input }) => {
    const types = memoryTypes?.length ? memoryTypes : ["fact", "document", "message"];
    const r = await searchMemory(ctx, {
      ...input,
      contentTypes: types.filter((t) => t !== "fact"),
      facts: types.includes("fact") ? input.limit : undefined,
    });
    return {
      facts: r.facts,
      embeddings: { results: r.results.map(hitOut), total: r.total, reranked: r.reranked, models: r.models },
      query: r.query,
    };
  },
});

export const reembedMemoryVerb = defineVerb({
  name: "memory.reembed",
  summary: "Re-embed a batch of the project's memory with the configured model (repeat until nothing remains)",
  permission: "ops:manage",
  input: z.object({ batchSize: numberInput(z.number().int().min(1).max(500)).default(100) }),
  output: z.object({ model: z.string(), updated: z.number(), remaining: z.number(), done: z.boolean() }).meta({ id: "MemoryReembed" }),
  emits: ["memory.reembedded"],
  run: (ctx, { batchSize }) => reembedProject(ctx, batchSize),
});
