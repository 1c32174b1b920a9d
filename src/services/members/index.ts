import { and, eq, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { roleEnum } from "../../db/schema/enums";
import { hashPassword } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";
import { requireFound } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";
import { withTransaction } from "../shared/transaction";

export const MemberRole = z.enum(roleEnum.enumValues);
export const MemberInput = z.object({
  email: z.email().max(320),
  name: z.string().trim().min(1).max(120),
  /** Required when the email has no account yet; ignored otherwise. */
  password: z.string().min(10, "must be at least 10 characters").max(200).optional(),
  role: MemberRole,
});
export const MemberUpdateInput = z.object({ role: MemberRole });

const m = schema.memberships;
const u = schema.users;
const memberColumns = { id: m.id, role: m.role, createdAt: m.createdAt, user: { id: u.id, email: u.email, name: u.name } };

const selectMembers = (ctx: ServiceContext, ...filters: SQL[]) =>
  ctx.db.query
    .select(memberColumns)
    .from(m)
    .innerJoin(u, eq(u.id, m.userId))
    .where(inScope(m, ctx.principal, ...filters))
    .orderBy(m.id);

export const listMembers = (ctx: ServiceContext) => selectMembers(ctx);

export async function getMember(ctx: ServiceContext, id: string) {
  return requireFound((await selectMembers(ctx, eq(m.id, id)))[0], "Member", id);
}

export async function addMember(ctx: ServiceContext, input: z.infer<typeof MemberInput>) {
  const email = input.email.toLowerCase();
  const [existing] = await ctx.db.query
    .select({ id: u.id })
    .from(u)
    .where(eq(sql`lower(${u.email})`, email));
  if (!existing && !input.password) {
    throw new AppError("invalid_request", "password is required for a new account", [
      { path: "password", message: "required for a new account" },
    ]);
  }
  const id = uuidv7();
  const userId = existing?.id ?? uuidv7();
  const membership = ctx.db.query.insert(m).values({ id, ...scopeValues(ctx.principal), userId, role: input.role });
  const event = ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("member.added", { memberId: id, userId, role: input.role }));
  if (existing) {
    await ctx.db.batch([membership, event]);
  } else {
    const passwordHash = await hashPassword(input.password!);
    await ctx.db.batch([ctx.db.query.insert(u).values({ id: userId, email, name: input.name, passwordHash }), membership, event]);
  }
  return getMember(ctx, id);
}

/**
 * The last admin of a project can be neither demoted nor removed: someone must be able to manage it. Checking and
 * writing in separate statements let two concurrent changes each see the other admin and both succeed, so the
 * check locks every admin membership of the project (and the target) until the caller's transaction ends. One
 * statement locking in id order keeps two callers from deadlocking; a waiter re-reads the rows it waited for,
 * so it counts the admins the first caller left.
 */
async function lockForAdminChange(tx: ServiceContext, id: string) {
  const rows = await tx.db.query
    .select({ id: m.id, role: m.role, userId: m.userId })
    .from(m)
    .where(inScope(m, tx.principal, or(eq(m.role, "admin"), eq(m.id, id))))
    .orderBy(m.id)
    .for("update");
  const target = requireFound(
    rows.find((r) => r.id === id),
    "Member",
    id,
  );
  const adminRemains = target.role !== "admin" || rows.some((r) => r.role === "admin" && r.id !== id);
  return { target, adminRemains };
}

const lastAdmin = () => new AppError("conflict", "A project must keep at least one admin");

export async function updateMember(ctx: ServiceContext, id: string, input: z.infer<typeof MemberUpdateInput>) {
  return withTransaction(ctx, async (tx) => {
    const { target, adminRemains } = await lockForAdminChange(tx, id);
    if (target.role === input.role) return getMember(tx, id);
    if (input.role !== "admin" && !adminRemains) throw lastAdmin();
    await tx.db.batch([
      tx.db.query
        .update(m)
        .set({ role: input.role, updatedAt: sql`now()` })
        .where(inScope(m, tx.principal, eq(m.id, id))),
      tx.db.query
        .insert(schema.outbox)
        .values(tx.outbox.event("member.role_changed", { memberId: id, userId: target.userId, from: target.role, to: input.role })),
    ]);
    return getMember(tx, id);
  });
}

/** Removal also revokes the member's refresh tokens for this project, so access ends within one token lifetime. */
export async function removeMember(ctx: ServiceContext, id: string) {
  await withTransaction(ctx, async (tx) => {
    const { target, adminRemains } = await lockForAdminChange(tx, id);
    if (!adminRemains) throw lastAdmin();
    await tx.db.batch([
      tx.db.query.delete(m).where(inScope(m, tx.principal, eq(m.id, id))),
      tx.db.query
        .update(schema.refreshTokens)
        .set({ revokedAt: sql`now()` })
        .where(and(inScope(schema.refreshTokens, tx.principal), eq(schema.refreshTokens.userId, target.userId))),
      tx.db.query
        .insert(schema.outbox)
        .values(tx.outbox.event("member.removed", { memberId: id, userId: target.userId, role: target.role })),
    ]);
  });
}
