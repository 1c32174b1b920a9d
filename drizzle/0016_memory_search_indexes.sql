-- btree_gin lets the full-text GIN indexes lead with project_id (one index scan per project's postings).
CREATE EXTENSION IF NOT EXISTS btree_gin;--> statement-breakpoint
DROP INDEX "memory_embeddings_hnsw_idx";--> statement-breakpoint
DROP INDEX "memory_embeddings_keyword_idx";--> statement-breakpoint
DROP INDEX "memory_embeddings_bm25_idx";--> statement-breakpoint
ALTER TABLE "memory_embeddings" ALTER COLUMN "embedding" SET DATA TYPE halfvec(768) USING "embedding"::halfvec(768);--> statement-breakpoint
CREATE INDEX "memory_embeddings_exact_idx" ON "memory_embeddings" USING btree ("tenant_id","project_id","embedding_model","id","embedding");--> statement-breakpoint
CREATE INDEX "memory_embeddings_hnsw_idx" ON "memory_embeddings" USING hnsw ("embedding" halfvec_cosine_ops) WITH (m=16,ef_construction=64);--> statement-breakpoint
CREATE INDEX "memory_embeddings_keyword_idx" ON "memory_embeddings" USING gin ("project_id","keyword_tsv");--> statement-breakpoint
CREATE INDEX "memory_embeddings_bm25_idx" ON "memory_embeddings" USING gin ("project_id","bm25_tsv");;--> statement-breakpoint
-- tenant_id and project_id are not independent (a project belongs to one tenant): without this the planner multiplies
-- their selectivities and expects a project to hold 242 chunks when it holds 4 750 (measured at 100k).
CREATE STATISTICS IF NOT EXISTS "memory_embeddings_scope_stats" (dependencies) ON "tenant_id", "project_id" FROM "memory_embeddings";--> statement-breakpoint
ANALYZE "memory_embeddings";