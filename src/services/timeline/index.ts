import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { CursorValue, keyset, toPage } from "../../lib/pagination";
import { loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { numberInput } from "../shared/schemas";
import { inScope } from "../shared/scope";

export const TimelineQuery = z.object({
  type: z.string().max(60).optional(),
  limit: numberInput(z.number().int().min(1).max(100)).default(50),
  cursor: z.string().max(500).optional(),
});

const e = schema.contactEvents;

/** Newest first, on (occurred_at, id) so events imported with past timestamps still sort where they happened. */
export async function contactTimeline(ctx: ServiceContext, contactId: string, q: z.infer<typeof TimelineQuery>) {
  await loadContact(ctx, contactId);
  const sortKey = sql`${e.occurredAt}`;
  const page = keyset({ sortKey, id: e.id, direction: "desc", cursor: q.cursor, value: CursorValue.timestamp });
  const rows = await ctx.db.query
    .select({ event: e, sortValue: sql<string>`${sortKey}::text` })
    .from(e)
    .where(inScope(e, ctx.principal, eq(e.contactId, contactId), q.type ? eq(e.type, q.type) : undefined, page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const result = toPage(rows, q.limit, (r) => [r.sortValue, r.event.id]);
  return { data: result.data.map((r) => r.event), nextCursor: result.nextCursor };
}
