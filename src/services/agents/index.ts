import { eq } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { agentKindEnum } from "../../db/schema/enums";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";
import { deleteScoped, updateScoped } from "../shared/crud";
import { jsonObject } from "../shared/schemas";
import { inScope, scopeValues } from "../shared/scope";

/** Without defaults: an update changes the fields it names and nothing else (zod keeps `.default()` in `.partial()`). */
const AgentFields = z.object({
  kind: z.enum(agentKindEnum.enumValues),
  name: z.string().trim().min(1).max(120),
  /** For human agents: the CRM user behind the agent (must be a member of the project). */
  userId: z.uuid().nullish(),
  config: jsonObject(),
  active: z.boolean(),
});
export const AgentInput = AgentFields.extend({
  config: AgentFields.shape.config.default({}),
  active: AgentFields.shape.active.default(true),
});
export const AgentUpdateInput = AgentFields.omit({ kind: true }).partial();

async function assertMember(ctx: ServiceContext, userId: string | null | undefined) {
  if (!userId) return;
  const [m] = await ctx.db.query
    .select({ id: schema.memberships.id })
    .from(schema.memberships)
    .where(inScope(schema.memberships, ctx.principal, eq(schema.memberships.userId, userId)));
  if (!m) throw new AppError("unprocessable", "userId is not a member of this project", [{ path: "userId", message: "not a member" }]);
}

export async function createAgent(ctx: ServiceContext, input: z.infer<typeof AgentInput>) {
  await assertMember(ctx, input.userId);
  const id = uuidv7();
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.agents)
      .values({ id, ...scopeValues(ctx.principal), ...input })
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("agent.created", { agentId: id, kind: input.kind })),
  ] as const);
  return row!;
}

export async function updateAgent(ctx: ServiceContext, id: string, input: z.infer<typeof AgentUpdateInput>) {
  await assertMember(ctx, input.userId);
  return updateScoped(ctx, schema.agents, id, "Agent", input, { topic: "agent.updated", idKey: "agentId" });
}

export const deleteAgent = (ctx: ServiceContext, id: string) =>
  deleteScoped(ctx, schema.agents, id, "Agent", { topic: "agent.deleted", idKey: "agentId" });
