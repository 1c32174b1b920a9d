import type { Config } from "../env";
import { embedderFor, rerankerFor } from "../integrations/embeddings";
import { r2DocumentStore } from "../integrations/storage/documents";
import { MAX_DOCUMENT_BYTES, type MemoryDeps } from "../services/memory/deps";

/** The memory service's models and storage from this deployment's bindings and settings (every transport's). */
export const memoryFor = (config: Config, env: Pick<Env, "DOCUMENTS"> & { AI?: unknown }): MemoryDeps => ({
  embedder: embedderFor(config, env),
  reranker: rerankerFor(config, env),
  store: r2DocumentStore(env.DOCUMENTS),
  maxDocumentBytes: MAX_DOCUMENT_BYTES,
});
