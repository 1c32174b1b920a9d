import { type SQL, sql } from "drizzle-orm";
import type { ParsedQuery } from "./query";
import { tsquery } from "./statement";

export type FactRow = {
  id: string;
  contact_id: string;
  fact_type: string;
  fact_key: string;
  fact_value: string | null;
  fact_text: string;
  confidence: number;
  source_count: number;
  last_observed_at: string;
  valid_from: string;
  match: number;
};

/**
 * Current facts for `search_memory`, in the same batch as the chunk search (one round trip). For a contact: all of
 * their current facts, those matching the question first, then by confidence and recency — an agent asking about a
 * customer wants what is known even when the words differ. Without a contact: the project's current facts that match.
 */
export function factsStatement(p: { tenantId: string; projectId: string; contactId?: string; query: ParsedQuery; limit: number }): SQL {
  const q = tsquery(p.query, ["ventros_pt", "ventros_en"]) ?? sql`''::tsquery`;
  const which = p.contactId ? sql`f.contact_id = ${p.contactId}::uuid` : sql`f.fact_tsv @@ fq.q`;
  return sql`
    select f.id, f.contact_id, f.fact_type, f.fact_key, f.fact_value, f.fact_text, f.confidence, f.source_count,
           f.last_observed_at, f.valid_from, ts_rank(f.fact_tsv, fq.q)::float8 as match
    from memory_facts f, (select ${q} as q) fq
    where f.tenant_id = ${p.tenantId}::uuid and f.project_id = ${p.projectId}::uuid and f.invalidated_at is null and ${which}
      -- A deleted contact's facts (CPF, e-mail…) are never given out, even before erasure reaches them.
      and exists (select 1 from contacts c where c.id = f.contact_id and c.tenant_id = f.tenant_id and c.deleted_at is null)
    order by match desc, f.confidence desc, f.last_observed_at desc, f.id
    limit ${p.limit}::int`;
}
