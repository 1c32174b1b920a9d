import { and, eq, isNull } from "drizzle-orm";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { inScope } from "../shared/scope";

export type ContactRow = typeof schema.contacts.$inferSelect;

/** Loads a live contact of the caller's project; anything else (other tenant, deleted, absent) is 404. */
export const loadContact = (ctx: ServiceContext, id: string): Promise<ContactRow> =>
  findScoped(ctx, schema.contacts, id, "Contact", isNull(schema.contacts.deletedAt));

/** The `user` role works the contacts assigned to them (through their agent) and unassigned ones. */
export async function assertCanWorkContact(ctx: ServiceContext, contact: ContactRow): Promise<void> {
  if (ctx.principal.role !== "user" || !contact.assignedAgentId) return;
  const [mine] = await ctx.db.query
    .select({ id: schema.agents.id })
    .from(schema.agents)
    .where(and(eq(schema.agents.id, contact.assignedAgentId), eq(schema.agents.userId, ctx.principal.actor.id)));
  if (!mine) throw new AppError("forbidden", "This contact is assigned to someone else");
}

/** A referenced agent must belong to the caller's project: a foreign key alone would accept another tenant's. */
export async function assertAgentInScope(ctx: ServiceContext, agentId: string | null | undefined): Promise<void> {
  if (!agentId) return;
  const [agent] = await ctx.db.query
    .select({ id: schema.agents.id })
    .from(schema.agents)
    .where(inScope(schema.agents, ctx.principal, eq(schema.agents.id, agentId)));
  if (!agent)
    throw new AppError("unprocessable", `Agent ${agentId} does not exist`, [{ path: "assignedAgentId", message: "unknown agent" }]);
}
