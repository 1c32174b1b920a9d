import type { Embedder, Reranker } from "../../integrations/embeddings";
import type { DocumentStore } from "../../integrations/storage/documents";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";

/** The largest document a project may upload (PDFs of contracts and manuals; scans are not read yet). */
export const MAX_DOCUMENT_BYTES = 20 * 1024 * 1024;

/** What the memory service needs from outside the database; each transport builds it from its bindings. */
export interface MemoryDeps {
  embedder: Embedder;
  reranker: Reranker | null;
  store: DocumentStore;
  /** Upper bound of one uploaded document. */
  maxDocumentBytes: number;
}

export function memoryOf(ctx: ServiceContext): MemoryDeps {
  if (!ctx.memory) throw new AppError("internal", "The memory service is not configured for this transport");
  return ctx.memory;
}
