/** The retrieval channels of hybrid search, fused by Reciprocal Rank Fusion. */
export const CHANNELS = ["vector", "keyword", "bm25", "graph", "recent"] as const;
export type Channel = (typeof CHANNELS)[number];

/**
 * The design's default for document search: meaning, words, BM25 and the knowledge graph (which finds nothing, at
 * the cost of one index probe, when the question names no known entity) — recency only when asked for.
 */
export const DEFAULT_CHANNELS: Channel[] = ["vector", "keyword", "bm25", "graph"];
export const DEFAULT_RRF_K = 60;
/**
 * Default fusion weights: the relevance channels count equally; recency only nudges (alone it says nothing about
 * relevance — on the shipped eval set, fusing it at weight 1 cost 0.13 nDCG@10).
 */
export const DEFAULT_WEIGHTS: Record<Channel, number> = { vector: 1, keyword: 1, bm25: 1, graph: 1, recent: 0.25 };
/**
 * The graph channel's weight is multiplied by this when the question names an entity the project knows: as many
 * times as there are other relevance channels, so the graph's first result can stand against what the vector,
 * keyword and BM25 channels agree on. On the shipped eval set (offline embedder): the 6 questions only the graph
 * answers went from 0.266 (×1) and 0.344 (×2) to 0.777 nDCG@10, the other 100 from 0.864 to 0.885.
 */
export const GRAPH_NAMED_ENTITY_BOOST = 3;
/** Okapi BM25's usual constants (Robertson; Lucene's defaults). */
export const BM25_K1 = 1.2;
export const BM25_B = 0.75;
/** Terms in at most this share of a project's chunks choose BM25's candidates (see statement.ts). */
export const BM25_RARE_TERM_SHARE = 0.1;
/** The design's rerank stage: top_k candidates go to the cross-encoder; below the threshold a result is dropped. */
export const RERANK_TOP_K = 100;
export const RERANK_THRESHOLD = 0.3;
/**
 * Projects with at most this many chunks are searched exactly (an index-only scan of every vector, ≈ 1 ms per
 * thousand chunks on the bench machine); larger ones through HNSW. Exact search cannot lose a result to the
 * filter, which is how a small project among many loses recall in a shared HNSW graph.
 */
export const EXACT_VECTOR_MAX_ROWS = 20_000;
/** HNSW candidate list for filtered searches (pgvector's default is 40). */
export const HNSW_EF_SEARCH = 100;
