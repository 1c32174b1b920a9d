/**
 * The REST shapes the evaluation speaks, derived from the verbs' own output schemas (the ones the API's OpenAPI
 * document is generated from), as JSON carries them, and narrowed to the fields the evaluation reads.
 */
import type { z } from "zod";
import type { searchMemoryVerb, uploadDocumentVerb } from "../../src/services/memory/verbs";

export { CHANNELS, type Channel } from "../../src/services/memory/search/channels";

/** A value as JSON carries it: dates become ISO strings. */
type Json<T> = T extends Date ? string : T extends (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;

type Search = Json<z.output<typeof searchMemoryVerb.output>>;
type Hit = Search["results"][number];

export type DocumentStatus = Json<z.output<typeof uploadDocumentVerb.output>>["status"];

/** `POST /api/v1/documents` answers 202 with this (200 and `duplicate: true` for the same bytes); `GET …/{id}` too. */
export type DocumentResource = Pick<Json<z.output<typeof uploadDocumentVerb.output>>, "id" | "status" | "knowledge"> & {
  error?: string | null;
  duplicate?: boolean;
};

export interface ChannelScore {
  rank: number;
  score: number;
}

export type SearchHit = Pick<Hit, "documentId" | "chunkIndex" | "pageNumber" | "content"> & {
  scores: Pick<Hit["scores"], "fused" | "channels"> & { rerank?: number | null };
};

export type Models = Search["models"];

/** `GET /api/v1/memory/search` */
export type SearchResponse = Pick<Search, "total" | "query" | "reranked" | "models"> & {
  results: SearchHit[];
  channels?: Search["channels"];
};
