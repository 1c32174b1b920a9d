import { and, eq, or, type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { Role } from "../auth/principal";
import type { ServiceContext } from "../context";
import { requireFound } from "../shared/crud";
import { inScope } from "../shared/scope";
import { withTransaction } from "../shared/transaction";

export const MemberUpdateInput = z.object({ role: Role });

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
