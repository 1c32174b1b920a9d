import { eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { inScope } from "../shared/scope";
import { updateContact } from "./update";

/**
 * Assigns a contact (and optionally one of its conversations) to an agent, or unassigns with null. Two writes: the
 * verb runs them in one transaction.
 */
export async function assignToAgent(ctx: ServiceContext, input: { contactId: string; agentId: string | null; sessionId?: string }) {
  if (input.sessionId) await findScoped(ctx, schema.sessions, input.sessionId, "Session", eq(schema.sessions.contactId, input.contactId));
  const contact = await updateContact(ctx, input.contactId, { assignedAgentId: input.agentId });
  if (input.sessionId) {
    await ctx.db.query
      .update(schema.sessions)
      .set({ agentId: input.agentId, updatedAt: sql`now()` })
      .where(inScope(schema.sessions, ctx.principal, eq(schema.sessions.id, input.sessionId)));
  }
  return { contactId: contact.id, assignedAgentId: contact.assignedAgentId, sessionId: input.sessionId ?? null };
}
