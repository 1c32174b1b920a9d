-- The word channels (keyword, bm25) read both tsvectors of every candidate chunk. Stored out of line (TOAST), each
-- read is a TOAST index lookup and several page reads per vector, for hundreds to thousands of candidates per search;
-- kept in the row (compressed), it is the heap page the candidate is on. MAIN still moves a vector out of line when
-- nothing else can make the row fit; content_text and metadata go first (the search reads them for ten rows), and the
-- embedding is EXTERNAL by its type (pgvector), and the vector channel reads it from its indexes, not the row.
-- SET STORAGE applies to rows written from now on; `VACUUM FULL memory_embeddings` rewrites the existing ones.
ALTER TABLE "memory_embeddings" ALTER COLUMN "keyword_tsv" SET STORAGE MAIN, ALTER COLUMN "bm25_tsv" SET STORAGE MAIN;
