import { type SQL, sql } from "drizzle-orm";
import { BM25_B, BM25_K1, BM25_RARE_TERM_SHARE, type Channel } from "./channels";
import type { ParsedQuery } from "./query";

export interface SearchFilters {
  contentTypes?: string[];
  contactId?: string;
  sessionId?: string;
  documentId?: string;
  documentType?: string;
}

export interface SearchPlan {
  tenantId: string;
  projectId: string;
  query: ParsedQuery;
  /** The query's vector and the model it came from: only vectors of that model are compared. */
  vector: number[] | null;
  model: string;
  filters: SearchFilters;
  channels: Channel[];
  weights: Record<Channel, number>;
  k: number;
  /** Candidates each channel contributes (twice what is finally wanted, as the design does). */
  perChannel: number;
  /** Fused results returned. */
  limit: number;
}

export type SearchRow = {
  id: string;
  document_id: string | null;
  contact_id: string | null;
  session_id: string | null;
  message_id: string | null;
  content_type: string;
  content_subtype: string | null;
  content_text: string;
  metadata: Record<string, unknown>;
  embedding_model: string;
  created_at: string;
  fused: number;
  channels: Partial<Record<Channel, { rank: number; score: number }>>;
};

const list = (xs: string[]) =>
  sql.join(
    xs.map((x) => sql`${x}`),
    sql`, `,
  );

/**
 * The tsquery of a parsed question under some text-search configurations (each a regconfig name owned by migration
 * 0011): any term matches, every phrase must, no exclusion may. Null when nothing is left to match.
 */
function tsquery(q: ParsedQuery, configs: string[], opts: { constraintsOnly?: boolean } = {}): SQL | null {
  const anyOf = (build: (cfg: string) => SQL) =>
    sql`(${sql.join(
      configs.map((cfg) => build(cfg)),
      sql` || `,
    )})`;
  const parts: SQL[] = [];
  if (q.terms.length && !opts.constraintsOnly) {
    if (configs.length === 1) parts.push(sql`to_tsquery(${configs[0]}::regconfig, ${q.terms.join(" | ")})`);
    else {
      // Under several languages, a word that is a stop word in any of them does not count: "o", "que", "para" are
      // not English stop words, and would otherwise make nearly every Portuguese chunk a match.
      const each = q.terms.map((w) => {
        const known = sql.join(
          configs.map((cfg) => sql`numnode(to_tsquery(${cfg}::regconfig, ${w})) > 0`),
          sql` and `,
        );
        return sql`coalesce(case when ${known} then ${anyOf((cfg) => sql`to_tsquery(${cfg}::regconfig, ${w})`)} end, ''::tsquery)`;
      });
      parts.push(sql`(${sql.join(each, sql` || `)})`);
    }
  }
  for (const phrase of q.phrases) parts.push(anyOf((cfg) => sql`websearch_to_tsquery(${cfg}::regconfig, ${`"${phrase}"`})`));
  if (!parts.length && !opts.constraintsOnly) return null;
  for (const word of q.exclusions) parts.push(sql`!!${anyOf((cfg) => sql`to_tsquery(${cfg}::regconfig, ${word})`)}`);
  return parts.length ? sql.join(parts, sql` && `) : null;
}

/**
 * Hybrid search as one statement: every selected channel is a CTE over the same scoped rows, and the last CTE fuses
 * them by Reciprocal Rank Fusion (score = Σ weight / (k + rank)). Each result carries its per-channel rank and score.
 * Every CTE repeats the tenant and project predicate; the vector CTE also the model.
 */
export function searchStatement(p: SearchPlan): SQL {
  const f = p.filters;
  const scope = sql.join(
    [
      sql`e.tenant_id = ${p.tenantId}::uuid`,
      sql`e.project_id = ${p.projectId}::uuid`,
      ...(f.contentTypes?.length ? [sql`e.content_type in (${list(f.contentTypes)})`] : []),
      ...(f.contactId ? [sql`e.contact_id = ${f.contactId}::uuid`] : []),
      ...(f.sessionId ? [sql`e.session_id = ${f.sessionId}::uuid`] : []),
      ...(f.documentId ? [sql`e.document_id = ${f.documentId}::uuid`] : []),
      ...(f.documentType ? [sql`e.metadata @> ${JSON.stringify({ document_type: f.documentType })}::jsonb`] : []),
    ],
    sql` and `,
  );
  // The caller's "phrases" and -exclusions bind every channel, not only the word-based ones.
  const constraints = tsquery(p.query, ["ventros_pt", "ventros_en"], { constraintsOnly: true });
  const bound = constraints ? sql`${scope} and e.keyword_tsv @@ (${constraints})` : scope;
  const n = p.perChannel;
  const ctes: SQL[] = [];
  const ranked: { channel: Channel; cte: string }[] = [];
  const want = new Set(p.channels);

  if (want.has("vector") && p.vector) {
    const v = `[${p.vector.join(",")}]`;
    ctes.push(sql`vec as (
      select id, row_number() over (order by d, id) as rank, 1 - d as score from (
        select e.id, e.embedding <=> ${v}::vector as d from memory_embeddings e
        where ${bound} and e.embedding_model = ${p.model}
        order by e.embedding <=> ${v}::vector limit ${n}::int) s)`);
    ranked.push({ channel: "vector", cte: "vec" });
  }
  const keywordQuery = tsquery(p.query, ["ventros_pt", "ventros_en"]);
  if (want.has("keyword") && keywordQuery) {
    // Ranked by how many of the question's words a chunk has (coordination), then by cover density: with "any word
    // may match", ts_rank_cd alone lets one frequent word outrank a chunk that has them all.
    const words = [...p.query.terms, ...p.query.phrases].join(" ");
    ctes.push(sql`kw as (
      select id, row_number() over (order by matched desc, r desc, id) as rank, matched + r as score from (
        select e.id, ts_rank_cd(e.keyword_tsv, kq.q) as r,
               length(ts_filter(setweight(e.keyword_tsv, 'A', kq.lexemes), '{a}')) as matched
        from memory_embeddings e,
             (select ${keywordQuery} as q,
                     tsvector_to_array(to_tsvector('ventros_pt'::regconfig, ${words}) || to_tsvector('ventros_en'::regconfig, ${words}))
                       as lexemes) kq
        where ${scope} and e.keyword_tsv @@ kq.q
        order by matched desc, r desc, e.id limit ${n}::int) s)`);
    ranked.push({ channel: "keyword", cte: "kw" });
  }
  const bm25Query = tsquery(p.query, ["ventros_pt"]);
  if (want.has("bm25") && bm25Query) {
    // Okapi BM25 over the stemmed, accent-folded terms, with the corpus statistics the triggers keep: idf from the
    // term's document frequency, tf from the chunk's positions, length normalised by the project's mean length.
    // ts_filter(setweight(…)) keeps only the query's lexemes before unnesting a chunk's vector. When the question has
    // uncommon terms (in at most BM25_RARE_TERM_SHARE of the project's chunks), only chunks with one of them are
    // scored: "valor" and "contrato" alone would make every chunk a candidate (measured at 100k: 2 331 → 539
    // candidates, p95 66 → 23 ms, the same top 10). Every query term still counts in the score.
    const words = [...p.query.terms, ...p.query.phrases].join(" ");
    ctes.push(sql`bq as (
      select t.term, ln(1 + (st.bm25_docs - t.df + 0.5) / (t.df + 0.5)) as idf,
             st.bm25_total_len::float8 / greatest(st.bm25_docs, 1) as avglen,
             t.df <= greatest(st.bm25_docs * ${BM25_RARE_TERM_SHARE}::float8, 1) as rare
      from (select distinct lexeme as term from unnest(to_tsvector('ventros_pt'::regconfig, ${words}))) qt
      join memory_bm25_terms t on t.project_id = ${p.projectId}::uuid and t.tenant_id = ${p.tenantId}::uuid and t.term = qt.term
      join memory_project_state st on st.project_id = ${p.projectId}::uuid and st.tenant_id = ${p.tenantId}::uuid),
    bm as (
      select id, row_number() over (order by s desc, id) as rank, s as score from (
        select e.id, sum(bq.idf * (u.tf * (${BM25_K1}::float8 + 1))
                         / (u.tf + ${BM25_K1}::float8 * (1 - ${BM25_B}::float8 + ${BM25_B}::float8 * e.bm25_len / greatest(bq.avglen, 1))))
               as s
        from memory_embeddings e
        cross join (
          select ${bm25Query} as q, (select array_agg(term) from bq) as terms,
                 (select string_agg(quote_literal(term), ' | ')::tsquery from bq where rare) as rare
        ) bmq
        cross join lateral (
          select lexeme, coalesce(array_length(positions, 1), 1) as tf from unnest(ts_filter(setweight(e.bm25_tsv, 'A', bmq.terms), '{a}'))
        ) u
        join bq on bq.term = u.lexeme
        where ${scope} and e.bm25_tsv @@ bmq.q and (bmq.rare is null or e.bm25_tsv @@ bmq.rare)
        group by e.id order by s desc, e.id limit ${n}::int) x)`);
    ranked.push({ channel: "bm25", cte: "bm" });
  }
  if (want.has("recent")) {
    // Recency orders what the other channels found (the contact's own items first when a contact is given); alone,
    // it is the newest items in scope.
    const found = ranked.map((r) => sql.raw(`select id from ${r.cte}`));
    const pool = found.length
      ? sql.join(found, sql` union `)
      : sql`select e.id from memory_embeddings e where ${bound} order by e.created_at desc, e.id desc limit ${n}::int`;
    const own = f.contactId ? sql`(e.contact_id = ${f.contactId}::uuid) desc,` : sql``;
    ctes.push(sql`rec as (
      select e.id, row_number() over (order by ${own} e.created_at desc, e.id desc) as rank,
             extract(epoch from e.created_at)::float8 as score
      from (${pool}) c join memory_embeddings e on e.id = c.id
      where ${scope})`);
    ranked.push({ channel: "recent", cte: "rec" });
  }
  if (!ranked.length) return sql`select null::uuid as id where false`;

  const contributions = sql.join(
    ranked.map(
      (r) =>
        sql`select id, ${r.channel}::text as channel, rank, score::float8 as score, ${p.weights[r.channel]}::float8 as w
            from ${sql.raw(r.cte)}`,
    ),
    sql` union all `,
  );
  return sql`with ${sql.join(ctes, sql`, `)},
    fused as (
      select id, sum(w / (${p.k}::float8 + rank)) as fused,
             jsonb_object_agg(channel, jsonb_build_object('rank', rank, 'score', score)) as channels
      from (${contributions}) c
      group by id
      order by fused desc, id
      limit ${p.limit}::int)
    select e.id, e.document_id, e.contact_id, e.session_id, e.message_id, e.content_type, e.content_subtype, e.content_text,
           e.metadata, e.embedding_model, e.created_at, f.fused, f.channels
    from fused f join memory_embeddings e on e.id = f.id
    where e.tenant_id = ${p.tenantId}::uuid and e.project_id = ${p.projectId}::uuid
    order by f.fused desc, e.id`;
}
