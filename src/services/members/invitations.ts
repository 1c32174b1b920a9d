import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { type Database, schema } from "../../db";
import { roleEnum } from "../../db/schema/enums";
import { hashPassword, hmacHex, timingSafeEqual } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { OutboxWriter } from "../../outbox/writer";
import type { Role } from "../auth/principal";
import type { ServiceContext } from "../context";
import { inScope, scopeValues } from "../shared/scope";

/**
 * Membership by invitation. Adding someone by e-mail never reveals whether the address has an account, nor
 * attaches an account without its owner's consent: it creates an invitation (the same 202 for any address), and
 * the token reaches the invitee at that address. The invitee accepts it logged in as that e-mail
 * (`POST /api/v1/invitations/{token}/accept`), or — if the address has no account yet — by creating the account
 * with a name and password (`POST /api/v1/auth/invitations/{token}/accept`).
 *
 * The token is `<invitation id>.<HMAC-SHA256 of the id under the deployment's secret>`: nothing secret is stored,
 * the mailer recomputes it from the `invitation.created` event, and it stops working once accepted or expired.
 */
export const INVITATION_TTL_DAYS = 7;

export const InviteInput = z.object({
  email: z.email().max(320),
  role: z.enum(roleEnum.enumValues),
});
export const NewAccountInput = z.object({
  name: z.string().trim().min(1).max(120),
  password: z.string().min(10, "must be at least 10 characters").max(200),
});
/** Tokens travel in URL paths: bounded, and of the shape `<uuid>.<64 hex>`. */
export const InvitationToken = z
  .string()
  .max(200)
  .regex(/^[0-9a-f-]{36}\.[0-9a-f]{64}$/, "not an invitation token")
  .describe("The invitation token delivered to the invitee");

const inv = schema.invitations;
const m = schema.memberships;
const u = schema.users;

const mac = (secret: string, id: string) => hmacHex("SHA-256", secret, `ventros/invitation/v1:${id}`);

/** The token for an invitation, as the mailer puts it in the link. */
export async function invitationToken(secret: string, invitationId: string): Promise<string> {
  return `${invitationId}.${await mac(secret, invitationId)}`;
}

const notFound = () =>
  new AppError("not_found", "Invitation not found, expired, already accepted, or addressed to another account", {
    resource: "Invitation",
  });

/** The pending, unexpired invitation a token names, or 404 (a forged token and a used one look the same). */
async function pendingInvitation(db: Database, secret: string | undefined, token: string) {
  if (!secret) throw new AppError("internal", "Invitations need the signing secret");
  const [id, given] = token.split(".");
  if (!id || !given || !timingSafeEqual(await mac(secret, id), given)) throw notFound();
  const [row] = await db.query
    .select()
    .from(inv)
    .where(and(eq(inv.id, id), isNull(inv.acceptedAt), gt(inv.expiresAt, sql`now()`)));
  if (!row) throw notFound();
  return row;
}

/**
 * Invites an address into the caller's project with a role; inviting it again renews the pending invitation (new
 * role, new expiry, same token). Only an address that is already a member of this project is refused — the caller
 * sees the member list anyway.
 */
export async function inviteMember(ctx: ServiceContext, input: z.infer<typeof InviteInput>) {
  const email = input.email.trim().toLowerCase();
  const p = ctx.principal;
  const [[member], [pending]] = await ctx.db.batch([
    ctx.db.query
      .select({ id: m.id })
      .from(m)
      .innerJoin(u, eq(u.id, m.userId))
      .where(inScope(m, p, eq(sql`lower(${u.email})`, email))),
    ctx.db.query
      .select({ id: inv.id })
      .from(inv)
      .where(inScope(inv, p, eq(inv.email, email), isNull(inv.acceptedAt))),
  ] as const);
  if (member) throw new AppError("conflict", "That e-mail already belongs to a member of this project", { memberId: member.id });
  const id = pending?.id ?? uuidv7();
  const expiresAt = new Date(Date.now() + INVITATION_TTL_DAYS * 24 * 3600 * 1000);
  const fields = { role: input.role, invitedBy: p.actor.id, expiresAt };
  const write = pending
    ? ctx.db.query
        .update(inv)
        .set({ ...fields, updatedAt: sql`now()` })
        .where(inScope(inv, p, eq(inv.id, id)))
    : ctx.db.query.insert(inv).values({ id, ...scopeValues(p), email, ...fields });
  await ctx.db.batch([
    write,
    // The event carries no address and no token: the mailer reads the one and derives the other.
    ctx.db.query
      .insert(schema.outbox)
      .values(ctx.outbox.event("invitation.created", { invitationId: id, role: input.role, renewed: Boolean(pending) })),
  ]);
  return { id, email, role: input.role, status: "pending" as const, expiresAt };
}

/**
 * An outbox row of the caller's writer (declared topics, published after commit) moved to the invitation's project.
 * Changed in place: the writer publishes the very row it built.
 */
function eventIn(invitation: { tenantId: string; projectId: string }, row: ReturnType<OutboxWriter["event"]>) {
  row.tenantId = invitation.tenantId;
  row.projectId = invitation.projectId;
  return row;
}

/**
 * Accepts an invitation as the logged-in user it was sent to: they become a member of the invitation's project
 * (possibly in another tenant; log in with its `projectId` to work there). Anyone else — another user, an API
 * key — gets the same 404 as for a token that does not exist.
 */
export async function acceptInvitation(ctx: ServiceContext, token: string) {
  const invitation = await pendingInvitation(ctx.db, ctx.signingSecret, token);
  const actor = ctx.principal.actor;
  if (actor.type !== "user") throw notFound();
  const [[user], [existing]] = await ctx.db.batch([
    ctx.db.query
      .select({ id: u.id, email: u.email })
      .from(u)
      .where(and(eq(u.id, actor.id), isNull(u.disabledAt))),
    ctx.db.query
      .select({ id: m.id, role: m.role })
      .from(m)
      .where(and(eq(m.projectId, invitation.projectId), eq(m.userId, actor.id))),
  ] as const);
  if (!user || user.email.toLowerCase() !== invitation.email) throw notFound();
  const memberId = existing?.id ?? uuidv7();
  await ctx.db.batch([
    markAccepted(ctx.db, invitation.id, user.id),
    ...(existing
      ? []
      : [
          ctx.db.query.insert(m).values({
            id: memberId,
            tenantId: invitation.tenantId,
            projectId: invitation.projectId,
            userId: user.id,
            role: invitation.role,
          }),
          ctx.db.query
            .insert(schema.outbox)
            .values(eventIn(invitation, ctx.outbox.event("member.added", { memberId, userId: user.id, role: invitation.role }))),
        ]),
    ctx.db.query
      .insert(schema.outbox)
      .values(eventIn(invitation, ctx.outbox.event("invitation.accepted", { invitationId: invitation.id, userId: user.id }))),
  ]);
  return { memberId, tenantId: invitation.tenantId, projectId: invitation.projectId, role: existing?.role ?? invitation.role };
}

const markAccepted = (db: Database, id: string, userId: string) =>
  db.query
    .update(inv)
    .set({ acceptedAt: sql`now()`, acceptedByUserId: userId, updatedAt: sql`now()` })
    .where(and(eq(inv.id, id), isNull(inv.acceptedAt)));

/**
 * Accepts an invitation by creating the invitee's account (the address had none): name and password are the
 * invitee's own. An address that already has an account must log in and accept instead (409) — the token holder
 * is that address's owner, so saying so reveals nothing to anyone else.
 */
export async function acceptInvitationWithNewAccount(
  db: Database,
  secret: string,
  token: string,
  input: z.infer<typeof NewAccountInput>,
): Promise<{
  user: { id: string; email: string; name: string };
  membership: { tenantId: string; projectId: string; role: Role };
  outboxIds: string[];
}> {
  const invitation = await pendingInvitation(db, secret, token);
  const [account] = await db.query
    .select({ id: u.id })
    .from(u)
    .where(eq(sql`lower(${u.email})`, invitation.email));
  if (account) {
    throw new AppError(
      "conflict",
      "An account with this e-mail already exists: log in, then accept with POST /api/v1/invitations/{token}/accept",
      {
        reason: "account_exists",
      },
    );
  }
  const userId = uuidv7();
  const memberId = uuidv7();
  const outbox = new OutboxWriter({ tenantId: invitation.tenantId, projectId: invitation.projectId });
  const passwordHash = await hashPassword(input.password);
  await db.batch([
    db.query.insert(u).values({ id: userId, email: invitation.email, name: input.name, passwordHash }),
    db.query
      .insert(m)
      .values({ id: memberId, tenantId: invitation.tenantId, projectId: invitation.projectId, userId, role: invitation.role }),
    markAccepted(db, invitation.id, userId),
    db.query.insert(schema.outbox).values(outbox.event("member.added", { memberId, userId, role: invitation.role })),
    db.query.insert(schema.outbox).values(outbox.event("invitation.accepted", { invitationId: invitation.id, userId })),
  ]);
  return {
    user: { id: userId, email: invitation.email, name: input.name },
    membership: { tenantId: invitation.tenantId, projectId: invitation.projectId, role: invitation.role },
    outboxIds: outbox.takeWritten(),
  };
}
