import { eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import { authorize } from "../auth/permissions";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { inScope } from "../shared/scope";
import { callNested } from "../verbs/define";
import { updateContactVerb } from "./verbs";

/**
 * Assigns a contact (and optionally one of its conversations) to an agent, or unassigns with null. Several writes:
 * the verb runs them in one transaction. Reassigning a conversation is working sessions, so it needs that right.
 */
export async function assignToAgent(ctx: ServiceContext, input: { contactId: string; agentId: string | null; sessionId?: string }) {
  if (input.sessionId) {
    authorize(ctx.principal, "sessions:write");
    await findScoped(ctx, schema.sessions, input.sessionId, "Session", eq(schema.sessions.contactId, input.contactId));
  }
  const contact = await callNested(updateContactVerb, ctx, { contactId: input.contactId, assignedAgentId: input.agentId });
  if (input.sessionId) {
    await ctx.db.batch([
      ctx.db.query
        .update(schema.sessions)
        .set({ agentId: input.agentId, updatedAt: sql`now()` })
        .where(inScope(schema.sessions, ctx.principal, eq(schema.sessions.id, input.sessionId))),
      ctx.db.query
        .insert(schema.outbox)
        .values(ctx.outbox.event("session.assigned", { sessionId: input.sessionId, contactId: input.contactId, agentId: input.agentId })),
    ]);
  }
  return { contactId: contact.id, assignedAgentId: contact.assignedAgentId, sessionId: input.sessionId ?? null };
}
