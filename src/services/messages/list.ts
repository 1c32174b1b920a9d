import { eq, gt, lt, sql } from "drizzle-orm";
import type { z } from "zod";
import { schema } from "../../db";
import { decodeCursor, toPage } from "../../lib/pagination";
import { loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { inScope } from "../shared/scope";
import type { MessageListQuery } from "./schemas";

const m = schema.messages;

export async function listMessages(ctx: ServiceContext, q: z.infer<typeof MessageListQuery>) {
  if (q.sessionId) await findScoped(ctx, schema.sessions, q.sessionId, "Session");
  if (q.contactId) await loadContact(ctx, q.contactId);
  const after = q.cursor ? String(decodeCursor(q.cursor, 1)[0]) : undefined;
  const rows = await ctx.db.query
    .select()
    .from(m)
    .where(
      inScope(
        m,
        ctx.principal,
        q.sessionId ? eq(m.sessionId, q.sessionId) : undefined,
        q.contactId ? eq(m.contactId, q.contactId) : undefined,
        after ? (q.order === "asc" ? gt(m.id, after) : lt(m.id, after)) : undefined,
      ),
    )
    .orderBy(q.order === "asc" ? sql`${m.id} asc` : sql`${m.id} desc`)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}
