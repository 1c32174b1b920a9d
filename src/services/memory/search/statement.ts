import { type SQL, sql } from "drizzle-orm";
import { BM25_B, BM25_K1, BM25_RARE_TERM_SHARE, type Channel, EXACT_VECTOR_MAX_ROWS, GRAPH_NAMED_ENTITY_BOOST } from "./channels";
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
  /** Keys the question may name entities by (entity-keys.ts), for the graph channel. */
  entityKeys: string[];
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
  channels: Partial<Record<Channel, { rank: number; score: number; weight: number }>>;
};

const list = (xs: string[]) =>
  sql.join(
    xs.map((x) => sql`${x}`),
    sql`, `,
  );

/** Any of the configurations' readings of one word or phrase. */
const anyOf = (configs: string[], build: (cfg: string) => SQL) =>
  sql`(${sql.join(
    configs.map((cfg) => build(cfg)),
    sql` || `,
  )})`;

/**
 * The tsquery of a parsed question under some text-search configurations (each a regconfig name owned by migration
 * 0011): any term matches, every phrase must, no exclusion may. Null when nothing is left to match.
 */
export function tsquery(q: ParsedQuery, configs: string[]): SQL | null {
  const parts: SQL[] = [];
  if (q.terms.length) {
    if (configs.length === 1) parts.push(sql`to_tsquery(${configs[0]}::regconfig, ${q.terms.join(" | ")})`);
    else {
      // Under several languages, a word that is a stop word in any of them does not count: "o", "que", "para" are
      // not English stop words, and would otherwise make nearly every Portuguese chunk a match.
      const each = q.terms.map((w) => {
        const known = sql.join(
          configs.map((cfg) => sql`numnode(to_tsquery(${cfg}::regconfig, ${w})) > 0`),
          sql` and `,
        );
        return sql`coalesce(case when ${known} then ${anyOf(configs, (cfg) => sql`to_tsquery(${cfg}::regconfig, ${w})`)} end, ''::tsquery)`;
      });
      parts.push(sql`(${sql.join(each, sql` || `)})`);
    }
  }
  const { phrases, excluded } = constraintQueries(q, configs);
  if (phrases) parts.push(phrases);
  if (!parts.length) return null;
  if (excluded) parts.push(sql`!!(${excluded})`);
  return sql.join(parts, sql` && `);
}

/** The caller's constraints as positive queries: chunks that hold every phrase, chunks that hold an excluded word. */
function constraintQueries(q: ParsedQuery, configs: string[]): { phrases: SQL | null; excluded: SQL | null } {
  const phrases = q.phrases.map((phrase) => anyOf(configs, (cfg) => sql`websearch_to_tsquery(${cfg}::regconfig, ${`"${phrase}"`})`));
  const excluded = q.exclusions.map((word) => anyOf(configs, (cfg) => sql`to_tsquery(${cfg}::regconfig, ${word})`));
  return {
    phrases: phrases.length ? sql.join(phrases, sql` && `) : null,
    excluded: excluded.length ? sql.join(excluded, sql` || `) : null,
  };
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
  // The caller's "phrases" and -exclusions bind every channel, not only the word-based ones. They are sets of ids
  // found through the GIN index on (project_id, keyword_tsv): a per-row test would read every chunk's vector in the
  // vector channel (which otherwise never touches the table), while the sets are index scans of the few chunks that
  // hold the phrase or the excluded word.
  const holding = (query: SQL) =>
    sql`(select x.id from memory_embeddings x
         where x.project_id = ${p.projectId}::uuid and x.tenant_id = ${p.tenantId}::uuid and x.keyword_tsv @@ (${query}))`;
  const { phrases, excluded } = constraintQueries(p.query, ["ventros_pt", "ventros_en"]);
  const bound = sql.join(
    [scope, ...(phrases ? [sql`e.id in ${holding(phrases)}`] : []), ...(excluded ? [sql`e.id not in ${holding(excluded)}`] : [])],
    sql` and `,
  );
  const n = p.perChannel;
  const ctes: SQL[] = [];
  const ranked: { channel: Channel; cte: string }[] = [];
  const want = new Set(p.channels);

  if (want.has("vector") && p.vector) {
    // Two plans, one runs: the gate is a scalar subquery evaluated once (a one-time filter), so the other branch is
    // never executed. Exact search for projects up to EXACT_VECTOR_MAX_ROWS chunks (index-only scan of
    // memory_embeddings_exact_idx), HNSW with iterative scans beyond.
    const v = `[${p.vector.join(",")}]`;
    const small = sql`(select coalesce((select bm25_docs from memory_project_state
        where project_id = ${p.projectId}::uuid and tenant_id = ${p.tenantId}::uuid), 0) <= ${EXACT_VECTOR_MAX_ROWS}::int)`;
    ctes.push(sql`vec as (
      select id, row_number() over (order by d, id) as rank, 1 - d as score from (
        (select e.id, e.embedding <=> ${v}::halfvec as d from memory_embeddings e
         where ${bound} and e.embedding_model = ${p.model} and ${small}
         order by d, e.id limit ${n}::int)
        union all
        (select e.id, e.embedding <=> ${v}::halfvec as d from memory_embeddings e
         where ${bound} and e.embedding_model = ${p.model} and not ${small}
         order by e.embedding <=> ${v}::halfvec limit ${n}::int)) s)`);
    ranked.push({ channel: "vector", cte: "vec" });
  }
  const words = [...p.query.terms, ...p.query.phrases].join(" ");
  const keywordQuery = want.has("keyword") ? tsquery(p.query, ["ventros_pt", "ventros_en"]) : null;
  const bm25Query = want.has("bm25") ? tsquery(p.query, ["ventros_pt"]) : null;
  if (keywordQuery || bm25Query) {
    // The question's stemmed terms with the corpus statistics the triggers keep (BM25's idf and mean length). A word
    // that is a stop word in either language is left out ("the", "on" are not Portuguese stop words, "o", "que" not
    // English ones). The question's rarest terms choose which chunks the word channels consider: as many terms, rarest
    // first, as hold at most BM25_RARE_TERM_SHARE of the project's chunks between them (at least the rarest one).
    // "valor" and "contrato" alone would make nearly every chunk a candidate, and a chunk without the rare terms
    // rarely wins against one with them (their idf is the highest). Every term still counts in the ranking.
    const content = [...new Set([...p.query.terms, ...p.query.phrases.flatMap((ph) => ph.split(" "))])];
    ctes.push(sql`bq as (
      select t.term, t.df, ln(1 + (st.bm25_docs - t.df + 0.5) / (t.df + 0.5)) as idf,
             st.bm25_total_len::float8 / greatest(st.bm25_docs, 1) as avglen,
             greatest(st.bm25_docs * ${BM25_RARE_TERM_SHARE}::float8, 1) as budget
      from (select distinct lexeme as term
            from unnest(string_to_array(${content.join(" ")}, ' ')) w, unnest(to_tsvector('ventros_pt'::regconfig, w))
            where numnode(to_tsquery('ventros_en'::regconfig, w)) > 0) qt
      join memory_bm25_terms t on t.project_id = ${p.projectId}::uuid and t.tenant_id = ${p.tenantId}::uuid and t.term = qt.term
      join memory_project_state st on st.project_id = ${p.projectId}::uuid and st.tenant_id = ${p.tenantId}::uuid),
    rare as (
      select string_agg(quote_literal(term), ' | ')::tsquery as q from (
        select term, df, budget, sum(df) over (order by df, term) as running from bq) r
      where running <= greatest(budget, (select min(df) from bq)))`);
  }
  // When no term of the question is in the project's statistics, the candidates are the chunks with any of its
  // words (there are none, or the words are all stop words). A scalar subquery is evaluated once, so the GIN index
  // on (project_id, bm25_tsv) takes it as an index condition.
  const anyTerm = tsquery(p.query, ["ventros_pt"]);
  const candidates = sql`e.bm25_tsv @@ coalesce((select q from rare), ${anyTerm})`;
  if (keywordQuery || bm25Query) {
    // Both word channels score the same candidates in ONE pass over them (one index scan, one visit of each chunk):
    // `wd` is referenced by both rankings, so Postgres materialises it once, holding only ids and scores.
    // keyword: how many of the question's words a chunk has (coordination), then ts_rank — with "any word may match",
    // a rank alone lets one frequent word outrank a chunk that has them all. ts_rank rather than ts_rank_cd (cover
    // density): it only breaks ties within a coordination level, where both ranked the shipped eval set alike
    // (keyword nDCG@10 0.797 either way), and at 100k chunks it cut the fused statement's p95 by about a third.
    // bm25: Okapi BM25 over the stemmed, accent-folded terms: idf from the term's document frequency, tf from the
    // chunk's positions, length normalised by the project's mean length. ts_filter(setweight(…)) keeps only the
    // query's lexemes before unnesting a chunk's vector.
    const keywordScores = keywordQuery
      ? sql`case when v.kv @@ kq.q then ts_rank(v.kv, kq.q) end as kr,
             length(ts_filter(setweight(v.kv, 'A', kq.lexemes), '{a}')) as matched`
      : sql`null::float4 as kr, 0 as matched`;
    const bm25Scores = bm25Query
      ? sql`case when v.bv @@ bmq.q then (
          select sum(bq.idf * (u.tf * (${BM25_K1}::float8 + 1))
                     / (u.tf + ${BM25_K1}::float8 * (1 - ${BM25_B}::float8 + ${BM25_B}::float8 * e.bm25_len / greatest(bq.avglen, 1))))
          from (select lexeme, coalesce(array_length(positions, 1), 1) as tf
                from unnest(ts_filter(setweight(v.bv, 'A', bmq.terms), '{a}'))) u
          join bq on bq.term = u.lexeme) end as bs`
      : sql`null::float8 as bs`;
    ctes.push(sql`wd as (
      select e.id, ${keywordScores}, ${bm25Scores}
      from memory_embeddings e,
           (select ${keywordQuery ?? sql`null::tsquery`} as q,
                   tsvector_to_array(to_tsvector('ventros_pt'::regconfig, ${words}) || to_tsvector('ventros_en'::regconfig, ${words}))
                     as lexemes) kq,
           (select ${bm25Query ?? sql`null::tsquery`} as q, (select array_agg(term) from bq) as terms) bmq,
           -- Each chunk's vectors are read (detoasted) once, not once per function that looks at them: OFFSET 0
           -- keeps the subquery from being flattened into those expressions, and || '' makes the copy.
           lateral (select ${keywordQuery ? sql`e.keyword_tsv || ''::tsvector` : sql`null::tsvector`} as kv,
                           ${bm25Query ? sql`e.bm25_tsv || ''::tsvector` : sql`null::tsvector`} as bv offset 0) v
      where ${scope} and ${candidates})`);
  }
  if (keywordQuery) {
    ctes.push(sql`kw as (
      select id, row_number() over (order by matched desc, kr desc, id) as rank, matched + kr as score from (
        select id, kr, matched from wd where kr is not null order by matched desc, kr desc, id limit ${n}::int) s)`);
    ranked.push({ channel: "keyword", cte: "kw" });
  }
  if (bm25Query) {
    ctes.push(sql`bm as (
      select id, row_number() over (order by bs desc, id) as rank, bs as score from (
        select id, bs from wd where bs is not null order by bs desc, id limit ${n}::int) x)`);
    ranked.push({ channel: "bm25", cte: "bm" });
  }
  if (want.has("graph")) {
    // The knowledge graph: chunks that mention the entities the question names (by normalised key or alias), or —
    // when a contact is given — the entities that contact is linked to, ranked by the strength of the mention edges
    // (times the contact's own edge strength for the latter). Both probes are index lookups.
    const keys = sql`array(select jsonb_array_elements_text(${JSON.stringify(p.entityKeys)}::jsonb))`;
    const contactEntities = f.contactId
      ? sql`union all
        select g.node_to_id, g.node_to_type, g.relationship_strength::float8, false from memory_graph g
        where g.project_id = ${p.projectId}::uuid and g.tenant_id = ${p.tenantId}::uuid
          and g.node_from_type = 'contact' and g.node_from_id = ${f.contactId}::uuid`
      : sql``;
    ctes.push(sql`qent as (
      select en.id, en.entity_type as type, 1::float8 as w, true as named from memory_entities en
      where en.project_id = ${p.projectId}::uuid and en.tenant_id = ${p.tenantId}::uuid
        and (en.normalized_key = any(${keys}) or en.alias_keys && ${keys})
      ${contactEntities}),
    gr as (
      select id, row_number() over (order by s desc, id) as rank, s as score, named from (
        select e.id, sum(g.relationship_strength * q.w) as s, bool_or(q.named) as named
        from qent q
        join memory_graph g on g.project_id = ${p.projectId}::uuid and g.tenant_id = ${p.tenantId}::uuid
          and g.node_to_type = q.type and g.node_to_id = q.id and g.node_from_type = 'chunk' and g.relationship_type = 'mentions'
        join memory_embeddings e on e.id = g.node_from_id
        where ${bound}
        group by e.id order by s desc, e.id limit ${n}::int) x)`);
    ranked.push({ channel: "graph", cte: "gr" });
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

  // The graph's voice grows when the question names an entity the project knows (GRAPH_NAMED_ENTITY_BOOST): then
  // what it finds is evidence about that entity, where the word and vector channels only match its spelling.
  // Per hit: one reached only through the contact's own links is not evidence about an entity the question names.
  const weightOf = (channel: Channel) =>
    channel === "graph"
      ? sql`${p.weights.graph}::float8 * (case when named then ${GRAPH_NAMED_ENTITY_BOOST}::float8 else 1 end)`
      : sql`${p.weights[channel]}::float8`;
  const contributions = sql.join(
    ranked.map(
      (r) =>
        sql`select id, ${r.channel}::text as channel, rank, score::float8 as score, ${weightOf(r.channel)} as w
            from ${sql.raw(r.cte)}`,
    ),
    sql` union all `,
  );
  return sql`with ${sql.join(ctes, sql`, `)},
    fused as (
      select id, sum(w / (${p.k}::float8 + rank)) as fused,
             jsonb_object_agg(channel, jsonb_build_object('rank', rank, 'score', score, 'weight', w)) as channels
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
