import { and, eq, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { sessionStatusEnum } from "../../db/schema/enums";
import { AppError } from "../../lib/errors";
import { keyset, toPage } from "../../lib/pagination";
import { assertCanWorkContact, loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { numberInput } from "../shared/schemas";
import { actorValues, inScope, scopeValues } from "../shared/scope";

export const SessionListQuery = z.object({
  contactId: z.uuid().optional(),
  channelId: z.uuid().optional(),
  agentId: z.uuid().optional(),
  status: z.enum(sessionStatusEnum.enumValues).optional(),
  limit: numberInput(z.number().int().min(1).max(100)).default(25),
  cursor: z.string().max(500).optional(),
});
export const CloseSessionInput = z.object({ reason: z.string().max(500).optional() });

const s = schema.sessions;

export async function listSessions(ctx: ServiceContext, q: z.infer<typeof SessionListQuery>) {
  const filters: (SQL | undefined)[] = [
    q.contactId ? eq(s.contactId, q.contactId) : undefined,
    q.channelId ? eq(s.channelId, q.channelId) : undefined,
    q.agentId ? eq(s.agentId, q.agentId) : undefined,
    q.status ? eq(s.status, q.status) : undefined,
  ];
  const page = keyset({ id: s.id, direction: "desc", cursor: q.cursor });
  const rows = await ctx.db.query
    .select()
    .from(s)
    .where(inScope(s, ctx.principal, ...filters, page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}

export const getSession = (ctx: ServiceContext, id: string) => findScoped(ctx, s, id, "Session");

/** Closes an active session by hand; closing one that already ended is a conflict, not a silent success. */
export async function closeSession(ctx: ServiceContext, id: string, input: z.infer<typeof CloseSessionInput>) {
  const session = await getSession(ctx, id);
  await assertCanWorkContact(ctx, await loadContact(ctx, session.contactId));
  const scope = scopeValues(ctx.principal);
  return ctx.db.transaction(async (tx) => {
    const [closed] = await tx
      .update(s)
      .set({ status: "manually_closed", endedAt: sql`now()`, endReason: input.reason ?? "closed by user", updatedAt: sql`now()` })
      .where(and(inScope(s, ctx.principal, eq(s.id, id)), eq(s.status, "active")))
      .returning();
    if (!closed) throw new AppError("conflict", `Session ${id} is already ${session.status}`, { status: session.status });
    await tx.insert(schema.contactEvents).values({
      ...scope,
      contactId: closed.contactId,
      sessionId: id,
      type: "session.ended",
      title: "Conversation closed",
      payload: { status: "manually_closed", reason: closed.endReason },
      ...actorValues(ctx.principal),
    });
    await tx.insert(schema.outbox).values(
      ctx.outbox.event("session.ended", {
        sessionId: id,
        contactId: closed.contactId,
        status: "manually_closed",
        reason: closed.endReason,
      }),
    );
    return closed;
  });
}
