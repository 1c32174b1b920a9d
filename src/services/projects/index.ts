import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";

export const ProjectInput = z.object({
  name: z.string().trim().min(1).max(120),
  slug: z
    .string()
    .trim()
    .min(1)
    .max(60)
    .regex(/^[a-z0-9-]+$/, "lowercase letters, digits and - only"),
});
export const ProjectSettings = z.object({
  sessionTimeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60)
    .optional(),
  messageGroupWindowSeconds: z.number().int().min(5).max(3600).optional(),
});
export const ProjectSettingsInput = z.object({
  name: z.string().trim().min(1).max(120).optional(),
  settings: ProjectSettings.optional(),
});

/** Projects of the caller's tenant that the caller can enter: a user's memberships, or an API key's own project. */
export async function listProjects(ctx: ServiceContext) {
  const p = ctx.principal;
  if (p.actor.type === "api_key") {
    return ctx.db.query
      .select()
      .from(schema.projects)
      .where(and(eq(schema.projects.tenantId, p.tenantId), eq(schema.projects.id, p.projectId)));
  }
  const rows = await ctx.db.query
    .select({ project: schema.projects, role: schema.memberships.role })
    .from(schema.memberships)
    .innerJoin(schema.projects, eq(schema.projects.id, schema.memberships.projectId))
    .where(and(eq(schema.memberships.userId, p.actor.id), eq(schema.memberships.tenantId, p.tenantId)))
    .orderBy(asc(schema.projects.id));
  return rows.map((r) => ({ ...r.project, role: r.role }));
}

export async function currentProject(ctx: ServiceContext) {
  const [row] = await ctx.db.query
    .select()
    .from(schema.projects)
    .where(and(eq(schema.projects.id, ctx.principal.projectId), eq(schema.projects.tenantId, ctx.principal.tenantId)));
  if (!row) throw AppError.notFound("Project", ctx.principal.projectId);
  return row;
}

/**
 * A new project in the caller's tenant; the user creating it becomes its admin. The event belongs to the new
 * project's stream, not to the project the caller is working in.
 *
 * Only users create projects: an API key belongs to one project and cannot enter another, so a project it created
 * would have no member who can reach it (nobody could log into it, invite anyone or create its keys).
 */
export async function createProject(ctx: ServiceContext, input: z.infer<typeof ProjectInput>) {
  if (ctx.principal.actor.type !== "user") {
    throw new AppError("forbidden", "Projects are created by users (log in): an API key is scoped to its own project", {
      reason: "user_required",
    });
  }
  const id = uuidv7();
  const tenantId = ctx.principal.tenantId;
  const creator = ctx.principal.actor.id;
  // Moved in place to the new project: the writer publishes the very row it built.
  const event = ctx.outbox.event("project.created", { projectId: id, name: input.name, slug: input.slug, adminUserId: creator });
  event.projectId = id;
  const [[project]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.projects)
      .values({ id, tenantId, ...input })
      .returning(),
    ctx.db.query.insert(schema.memberships).values({ tenantId, projectId: id, userId: creator, role: "admin" as const }),
    ctx.db.query.insert(schema.outbox).values(event),
  ] as const);
  return project!;
}

/** Settings are merged in SQL (jsonb `||`), so two concurrent changes of different settings both stay. */
export async function updateCurrentProject(ctx: ServiceContext, input: z.infer<typeof ProjectSettingsInput>) {
  const current = await currentProject(ctx);
  const p = schema.projects;
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .update(p)
      .set({
        ...(input.name ? { name: input.name } : {}),
        ...(input.settings ? { settings: sql`${p.settings} || ${JSON.stringify(input.settings)}::jsonb` } : {}),
        updatedAt: sql`now()`,
      })
      .where(and(eq(p.id, current.id), eq(p.tenantId, ctx.principal.tenantId)))
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("project.updated", { projectId: current.id, fields: Object.keys(input) })),
  ] as const);
  return row!;
}
