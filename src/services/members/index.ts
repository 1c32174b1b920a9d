import { and, eq, ne, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { hashPassword } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";
import { requireFound } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";

const role = z.enum(["admin", "manager", "user", "readonly"]);
export const MemberInput = z.object({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(120),
  /** Required when the email has no account yet; ignored otherwise. */
  password: z.string().min(10, "must be at least 10 characters").max(200).optional(),
  role,
});
export const MemberUpdateInput = z.object({ role });

const m = schema.memberships;

export async function listMembers(ctx: ServiceContext) {
  return ctx.db.query
    .select({ id: m.id, role: m.role, createdAt: m.createdAt, user: { id: schema.users.id, email: schema.users.email, name: schema.users.name } })
    .from(m)
    .innerJoin(schema.users, eq(schema.users.id, m.userId))
    .where(inScope(m, ctx.principal))
    .orderBy(m.id);
}

export async function addMember(ctx: ServiceContext, input: z.infer<typeof MemberInput>) {
  const email = input.email.toLowerCase();
  const [existing] = await ctx.db.query.select({ id: schema.users.id }).from(schema.users).where(eq(sql`lower(${schema.users.email})`, email));
  const id = uuidv7();
  const userId = existing?.id ?? uuidv7();
  const membership = ctx.db.query.insert(m).values({ id, ...scopeValues(ctx.principal), userId, role: input.role });
  if (existing) {
    await membership;
  } else {
    if (!input.password) throw new AppError("invalid_request", "password is required for a new account", [{ path: "password", message: "required for a new account" }]);
    const passwordHash = await hashPassword(input.password);
    await ctx.db.batch([ctx.db.query.insert(schema.users).values({ id: userId, email, name: input.name, passwordHash }), membership]);
  }
  return { id, role: input.role, user: { id: userId, email, name: input.name } };
}

/** The last admin of a project can be neither demoted nor removed: someone must be able to manage it. */
async function assertNotLastAdmin(ctx: ServiceContext, membershipId: string) {
  const [target] = await ctx.db.query.select().from(m).where(inScope(m, ctx.principal, eq(m.id, membershipId)));
  requireFound(target, "Member", membershipId);
  if (target!.role !== "admin") return target!;
  const [others] = await ctx.db.query
    .select({ n: sql<number>`count(*)::int` })
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.role, "admin"), ne(m.id, membershipId)));
  if (!others || others.n === 0) throw new AppError("conflict", "A project must keep at least one admin");
  return target!;
}

export async function updateMember(ctx: ServiceContext, id: string, input: z.infer<typeof MemberUpdateInput>) {
  if (input.role !== "admin") await assertNotLastAdmin(ctx, id);
  const [row] = await ctx.db.query.update(m).set({ role: input.role, updatedAt: sql`now()` }).where(inScope(m, ctx.principal, eq(m.id, id))).returning();
  return requireFound(row, "Member", id);
}

/** Removal also revokes the member's refresh tokens for this project, so access ends within one token lifetime. */
export async function removeMember(ctx: ServiceContext, id: string) {
  const target = await assertNotLastAdmin(ctx, id);
  await ctx.db.batch([
    ctx.db.query.delete(m).where(inScope(m, ctx.principal, eq(m.id, id))),
    ctx.db.query
      .update(schema.refreshTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(inScope(schema.refreshTokens, ctx.principal), eq(schema.refreshTokens.userId, target.userId))),
  ]);
}
