-- The text-search vocabulary of the memory service, owned here once: every tsvector column, every query and the
-- BM25 statistics go through these configurations, so ingest and search always normalise words the same way.
-- Accents are folded (unaccent as a filtering dictionary) before stemming: customers type "orcamento" and
-- "orçamento", "contrato" and "contráto".
CREATE EXTENSION IF NOT EXISTS unaccent;
--> statement-breakpoint
DO $$ BEGIN
  CREATE TEXT SEARCH CONFIGURATION ventros_pt (COPY = pg_catalog.portuguese);
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$;
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION ventros_pt
  ALTER MAPPING FOR hword, hword_part, word, asciihword, asciiword, hword_asciipart WITH unaccent, portuguese_stem;
--> statement-breakpoint
DO $$ BEGIN
  CREATE TEXT SEARCH CONFIGURATION ventros_en (COPY = pg_catalog.english);
EXCEPTION WHEN unique_violation OR duplicate_object THEN NULL; END $$;
--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION ventros_en
  ALTER MAPPING FOR hword, hword_part, word, asciihword, asciiword, hword_asciipart WITH unaccent, english_stem;
--> statement-breakpoint
-- BM25's document length: indexed tokens (stop words leave gaps in positions but are not counted).
CREATE OR REPLACE FUNCTION ventros_token_count(v tsvector) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT coalesce(sum(coalesce(array_length(u.positions, 1), 1)), 0)::integer FROM unnest(v) AS u $$;
