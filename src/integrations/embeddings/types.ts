/**
 * One interface for every embedding model and reranker. Search stores the embedder's model id with each vector and
 * only ever compares vectors of the same model id.
 */

/** Some models embed a question differently from the passage that answers it (e.g. EmbeddingGemma's prompts). */
export type EmbedKind = "query" | "document";

export interface Embedder {
  /** Stored with every vector; vectors of different models are never compared. */
  readonly model: string;
  /** Always EMBEDDING_DIMENSIONS (768): the width of `memory_embeddings.embedding`. */
  readonly dimensions: number;
  /** False for the offline stand-in: it matches words and character n-grams, not meaning. */
  readonly semantic: boolean;
  /** One L2-normalised vector per text, in input order. Blank texts are refused (`invalid_request`). */
  embed(texts: string[], kind: EmbedKind): Promise<number[][]>;
}

export interface Reranker {
  readonly model: string;
  /** One relevance score in [0,1] per text, in input order. */
  rerank(query: string, texts: string[]): Promise<number[]>;
}
