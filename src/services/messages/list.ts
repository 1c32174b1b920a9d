import { eq } from "drizzle-orm";
import type { z } from "zod";
import { schema } from "../../db";
import { keyset, toPage } from "../../lib/pagination";
import { loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { inScope } from "../shared/scope";
import type { MessageListQuery } from "./schemas";

const m = schema.messages;

export async function listMessages(ctx: ServiceContext, q: z.infer<typeof MessageListQuery>) {
  if (q.sessionId) await findScoped(ctx, schema.sessions, q.sessionId, "Session");
  if (q.contactId) await loadContact(ctx, q.contactId);
  const page = keyset({ id: m.id, direction: q.order, cursor: q.cursor });
  const rows = await ctx.db.query
    .select()
    .from(m)
    .where(
      inScope(
        m,
        ctx.principal,
        q.sessionId ? eq(m.sessionId, q.sessionId) : undefined,
        q.contactId ? eq(m.contactId, q.contactId) : undefined,
        page.where,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}
