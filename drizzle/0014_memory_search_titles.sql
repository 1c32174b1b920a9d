ALTER TABLE "memory_embeddings" drop column "keyword_tsv";--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "keyword_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('ventros_pt'::regconfig, coalesce(metadata->>'document_title' || E'\n', '') || content_text) || to_tsvector('ventros_en'::regconfig, coalesce(metadata->>'document_title' || E'\n', '') || content_text)) STORED;--> statement-breakpoint
ALTER TABLE "memory_embeddings" drop column "bm25_tsv";--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "bm25_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('ventros_pt'::regconfig, coalesce(metadata->>'document_title' || E'\n', '') || content_text)) STORED;--> statement-breakpoint
ALTER TABLE "memory_embeddings" drop column "bm25_len";--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "bm25_len" integer GENERATED ALWAYS AS (ventros_token_count(to_tsvector('ventros_pt'::regconfig, coalesce(metadata->>'document_title' || E'\n', '') || content_text))) STORED;--> statement-breakpoint
-- Dropping the columns dropped their indexes: rebuild them.
CREATE INDEX IF NOT EXISTS "memory_embeddings_keyword_idx" ON "memory_embeddings" USING gin ("keyword_tsv");--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "memory_embeddings_bm25_idx" ON "memory_embeddings" USING gin ("bm25_tsv");--> statement-breakpoint
-- The BM25 statistics were counted over the old text: count them again over the new one.
DELETE FROM memory_bm25_terms;--> statement-breakpoint
UPDATE memory_project_state SET bm25_docs = 0, bm25_total_len = 0;--> statement-breakpoint
INSERT INTO memory_project_state AS s (project_id, tenant_id, bm25_docs, bm25_total_len)
  SELECT project_id, (array_agg(tenant_id))[1], count(*), coalesce(sum(bm25_len), 0) FROM memory_embeddings GROUP BY project_id
  ON CONFLICT (project_id) DO UPDATE SET bm25_docs = excluded.bm25_docs, bm25_total_len = excluded.bm25_total_len;--> statement-breakpoint
INSERT INTO memory_bm25_terms (project_id, tenant_id, term, df)
  SELECT e.project_id, (array_agg(e.tenant_id))[1], u.lexeme, count(*)
  FROM memory_embeddings e CROSS JOIN LATERAL unnest(e.bm25_tsv) AS u GROUP BY e.project_id, u.lexeme;--> statement-breakpoint
-- The indexed text is the chunk and its document's title: neither may change under the statistics.
CREATE OR REPLACE FUNCTION ventros_memory_text_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.content_text IS DISTINCT FROM OLD.content_text
     OR NEW.metadata->>'document_title' IS DISTINCT FROM OLD.metadata->>'document_title' THEN
    RAISE EXCEPTION 'memory_embeddings text (content_text, metadata.document_title) is immutable; delete and insert the chunk instead'
      USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END $$;--> statement-breakpoint
DROP TRIGGER IF EXISTS memory_embeddings_text_immutable ON memory_embeddings;--> statement-breakpoint
CREATE TRIGGER memory_embeddings_text_immutable BEFORE UPDATE OF content_text, metadata ON memory_embeddings
  FOR EACH ROW EXECUTE FUNCTION ventros_memory_text_immutable();
