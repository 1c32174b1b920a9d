import { eq } from "drizzle-orm";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { DEFAULT_SESSION_TIMEOUT_MINUTES } from "../sessions/open";

export const DEFAULT_MESSAGE_GROUP_WINDOW_SECONDS = 60;

export async function projectSettings(ctx: ServiceContext) {
  const [row] = await ctx.db.query
    .select({ settings: schema.projects.settings })
    .from(schema.projects)
    .where(eq(schema.projects.id, ctx.principal.projectId));
  return {
    sessionTimeoutMinutes: row?.settings.sessionTimeoutMinutes ?? DEFAULT_SESSION_TIMEOUT_MINUTES,
    messageGroupWindowSeconds: row?.settings.messageGroupWindowSeconds ?? DEFAULT_MESSAGE_GROUP_WINDOW_SECONDS,
  };
}
