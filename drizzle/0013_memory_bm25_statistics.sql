-- BM25 needs corpus statistics: per project, how many chunks contain each stemmed term (df), how many chunks there
-- are and their total length. Triggers own them, so every path that adds or removes chunks — ingestion, message
-- embedding, document deletion, a contact's or a project's cascade — keeps them exact without a second writer.
-- Statement-level with transition tables: one upsert per statement, not per row. Terms are upserted in key order
-- so concurrent ingests lock rows in the same order.
CREATE OR REPLACE FUNCTION ventros_bm25_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO memory_project_state AS s (project_id, tenant_id, bm25_docs, bm25_total_len)
  SELECT project_id, (array_agg(tenant_id))[1], count(*), coalesce(sum(bm25_len), 0)
  FROM bm25_new GROUP BY project_id ORDER BY project_id
  ON CONFLICT (project_id) DO UPDATE
    SET bm25_docs = s.bm25_docs + excluded.bm25_docs, bm25_total_len = s.bm25_total_len + excluded.bm25_total_len, updated_at = now();
  INSERT INTO memory_bm25_terms AS t (project_id, tenant_id, term, df)
  SELECT n.project_id, (array_agg(n.tenant_id))[1], u.lexeme, count(*)
  FROM bm25_new n CROSS JOIN LATERAL unnest(n.bm25_tsv) AS u
  GROUP BY n.project_id, u.lexeme ORDER BY n.project_id, u.lexeme
  ON CONFLICT (project_id, term) DO UPDATE SET df = t.df + excluded.df;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION ventros_bm25_on_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE memory_project_state s
  SET bm25_docs = greatest(s.bm25_docs - d.docs, 0), bm25_total_len = greatest(s.bm25_total_len - d.len, 0), updated_at = now()
  FROM (SELECT project_id, count(*) AS docs, coalesce(sum(bm25_len), 0) AS len FROM bm25_old GROUP BY project_id) d
  WHERE s.project_id = d.project_id;
  UPDATE memory_bm25_terms t SET df = t.df - g.df
  FROM (
    SELECT o.project_id, u.lexeme AS term, count(*) AS df
    FROM bm25_old o CROSS JOIN LATERAL unnest(o.bm25_tsv) AS u
    GROUP BY o.project_id, u.lexeme
  ) g
  WHERE t.project_id = g.project_id AND t.term = g.term;
  -- A separate statement: one statement cannot both update a row and delete it.
  DELETE FROM memory_bm25_terms t
  WHERE t.df <= 0 AND t.project_id IN (SELECT DISTINCT project_id FROM bm25_old);
  RETURN NULL;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS memory_embeddings_bm25_insert ON memory_embeddings;
--> statement-breakpoint
CREATE TRIGGER memory_embeddings_bm25_insert AFTER INSERT ON memory_embeddings
  REFERENCING NEW TABLE AS bm25_new FOR EACH STATEMENT EXECUTE FUNCTION ventros_bm25_on_insert();
--> statement-breakpoint
DROP TRIGGER IF EXISTS memory_embeddings_bm25_delete ON memory_embeddings;
--> statement-breakpoint
CREATE TRIGGER memory_embeddings_bm25_delete AFTER DELETE ON memory_embeddings
  REFERENCING OLD TABLE AS bm25_old FOR EACH STATEMENT EXECUTE FUNCTION ventros_bm25_on_delete();
--> statement-breakpoint
-- A chunk's text is immutable once stored (re-embedding changes only its vector): an update of content_text is
-- refused rather than left to drift from the statistics.
CREATE OR REPLACE FUNCTION ventros_memory_text_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.content_text IS DISTINCT FROM OLD.content_text THEN
    RAISE EXCEPTION 'memory_embeddings.content_text is immutable; delete and insert the chunk instead' USING ERRCODE = '55000';
  END IF;
  RETURN NEW;
END $$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS memory_embeddings_text_immutable ON memory_embeddings;
--> statement-breakpoint
CREATE TRIGGER memory_embeddings_text_immutable BEFORE UPDATE OF content_text ON memory_embeddings
  FOR EACH ROW EXECUTE FUNCTION ventros_memory_text_immutable();
