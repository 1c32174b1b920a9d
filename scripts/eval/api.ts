/**
 * The REST shapes the evaluation speaks. They mirror the API's OpenAPI schema (`/openapi.json`: documents and
 * memory search) by hand for now; once those routes are published they should be derived from it instead.
 */

export type Channel = "vector" | "keyword" | "bm25" | "recent";
export const CHANNELS: readonly Channel[] = ["vector", "keyword", "bm25", "recent"];

export type DocumentStatus = "pending" | "processing" | "ready" | "failed";

/** `POST /api/v1/documents` answers 202 with this; `GET /api/v1/documents/{id}` too, with `error` once failed. */
export interface DocumentResource {
  id: string;
  status: DocumentStatus;
  error?: string | null;
  /** The same bytes were already uploaded to the project: this is that document (answered 200, not 202). */
  duplicate?: boolean;
}

export interface ChannelScore {
  rank: number;
  score: number;
}

export interface SearchHit {
  /** Null for memories that are not documents (messages, sessions, facts). */
  documentId: string | null;
  chunkIndex: number | null;
  pageNumber: number | null;
  content: string;
  scores: {
    fused: number;
    channels: Partial<Record<Channel, ChannelScore>>;
    rerank?: number | null;
  };
}

export interface Models {
  embedding: string;
  /** False for the offline stand-in embedder (feature hashing): the table must not present it as semantic. */
  semantic?: boolean;
  reranker: string | null;
}

/** `GET /api/v1/memory/search` */
export interface SearchResponse {
  results: SearchHit[];
  total: number;
  query: string;
  /** The channels that actually ran. */
  channels?: Channel[];
  reranked: boolean;
  models: Models;
}
