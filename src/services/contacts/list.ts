import { and, eq, gte, ilike, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { schema } from "../../db";
import { CursorValue, keyset, toPage } from "../../lib/pagination";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";
import { type ContactListQuery, normalizePhone } from "./schemas";

const c = schema.contacts;

const SORT_KEYS = {
  createdAt: sql`${c.createdAt}`,
  updatedAt: sql`${c.updatedAt}`,
  name: sql`coalesce(${c.name}, '')`,
  lastInteractionAt: sql`coalesce(${c.lastInteractionAt}, 'epoch'::timestamptz)`,
} as const;

export async function listContacts(ctx: ServiceContext, q: ContactListQuery) {
  const filters: (SQL | undefined)[] = [isNull(c.deletedAt)];
  if (q.q) {
    const term = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    const digits = normalizePhone(q.q);
    filters.push(or(ilike(c.name, term), ilike(c.email, term), digits.length >= 3 ? sql`${c.phone} like ${`%${digits}%`}` : undefined));
  }
  if (q.assignedAgentId) filters.push(eq(c.assignedAgentId, q.assignedAgentId));
  if (q.createdAfter) filters.push(gte(c.createdAt, q.createdAfter));
  if (q.createdBefore) filters.push(lt(c.createdAt, q.createdBefore));
  // Membership filters are semi-joins scoped to the same project, so a foreign tag/list id matches nothing.
  if (q.tagId)
    filters.push(
      sql`exists (select 1 from contact_tags ct where ct.contact_id = ${c.id} and ct.tag_id = ${q.tagId}
        and ct.project_id = ${ctx.principal.projectId})`,
    );
  if (q.listId)
    filters.push(
      sql`exists (select 1 from contact_list_members m where m.contact_id = ${c.id} and m.list_id = ${q.listId}
        and m.project_id = ${ctx.principal.projectId})`,
    );
  if (q.stageId)
    filters.push(
      sql`exists (select 1 from contact_stages cs where cs.contact_id = ${c.id} and cs.stage_id = ${q.stageId}
        and cs.project_id = ${ctx.principal.projectId})`,
    );

  const sortKey = SORT_KEYS[q.sort];
  const value = q.sort === "name" ? CursorValue.text : CursorValue.timestamp;
  const page = keyset({ sortKey, id: c.id, direction: q.order, cursor: q.cursor, value });
  const rows = await ctx.db.query
    .select({ contact: c, sortValue: sql<string>`${sortKey}::text` })
    .from(c)
    .where(and(inScope(c, ctx.principal), ...filters, page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const result = toPage(rows, q.limit, (r) => [r.sortValue, r.contact.id]);
  return { data: result.data.map((r) => r.contact), nextCursor: result.nextCursor };
}
