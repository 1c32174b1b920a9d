import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors, createTenantFixture } from "../support/fixtures";
import { tokenFor } from "../support/invitations";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

const login = (email: string, password: string, projectId?: string) =>
  api("/api/v1/auth/login", { body: { email, password, ...(projectId ? { projectId } : {}) } });
const memberEmails = async (token: string) => ((await api("/api/v1/members", { token })).body.data as any[]).map((m) => m.user.email);

describe("members join by invitation", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  it("inviting reveals nothing: known and unknown addresses get the same 202, and nobody is attached", async () => {
    const stranger = await createTenantFixture(db);
    const unknown = `nobody-${crypto.randomUUID()}@example.test`;
    const known = await api("/api/v1/members", { token: t.keys.admin, body: { email: stranger.user.email, role: "admin" } });
    const fresh = await api("/api/v1/members", { token: t.keys.admin, body: { email: unknown, role: "admin" } });
    expect([known.status, fresh.status]).toEqual([202, 202]);
    expect(Object.keys(known.body).sort()).toEqual(Object.keys(fresh.body).sort());
    expect(known.body).toMatchObject({ email: stranger.user.email, role: "admin", status: "pending" });
    expect(JSON.stringify(known.body)).not.toContain(stranger.user.id);
    // Neither is a member, and the other tenant's user has no membership here.
    expect(await memberEmails(t.keys.admin)).not.toContain(stranger.user.email);
    const { rows } = await db.query.execute(
      sql`select 1 from memberships where user_id = ${stranger.user.id} and project_id = ${t.project.id}`,
    );
    expect(rows).toEqual([]);
    // The stranger cannot be logged into this project.
    expectError(await login(stranger.user.email, stranger.password, t.project.id), 403, "forbidden");
  });

  it("an existing account joins only by accepting, logged in as the invited address", async () => {
    const invitee = await createTenantFixture(db);
    const invited = await api("/api/v1/members", {
      token: t.keys.admin,
      body: { email: invitee.user.email.toUpperCase(), role: "manager" },
    });
    const token = await tokenFor(invited.body.id);
    const inviteeLogin = (await login(invitee.user.email, invitee.password)).body;
    // Not the addressee: another user, or an API key (even the inviting project's admin key) — as if it did not exist.
    const someoneElse = await createTenantFixture(db);
    const otherLogin = (await login(someoneElse.user.email, someoneElse.password)).body;
    expectError(await api(`/api/v1/invitations/${token}/accept`, { token: otherLogin.accessToken, method: "POST" }), 404, "not_found");
    expectError(await api(`/api/v1/invitations/${token}/accept`, { token: t.keys.admin, method: "POST" }), 404, "not_found");
    // A forged token (right invitation id, wrong MAC) is the same 404.
    const forged = `${invited.body.id}.${"0".repeat(64)}`;
    expectError(await api(`/api/v1/invitations/${forged}/accept`, { token: inviteeLogin.accessToken, method: "POST" }), 404, "not_found");
    // The addressee accepts: a member of the inviting project, with the invited role.
    const accepted = await api(`/api/v1/invitations/${token}/accept`, { token: inviteeLogin.accessToken, method: "POST" });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ tenantId: t.tenant.id, projectId: t.project.id, role: "manager" });
    expect(await memberEmails(t.keys.admin)).toContain(invitee.user.email);
    expect((await login(invitee.user.email, invitee.password, t.project.id)).body.role).toBe("manager");
    // Used once.
    expectError(await api(`/api/v1/invitations/${token}/accept`, { token: inviteeLogin.accessToken, method: "POST" }), 404, "not_found");
    // An existing account cannot be taken over through the new-account path.
    const again = await api("/api/v1/members", { token: t.keys.admin, body: { email: someoneElse.user.email, role: "user" } });
    const takeover = await api(`/api/v1/auth/invitations/${await tokenFor(again.body.id)}/accept`, {
      body: { name: "Mallory", password: "mallory-password" },
    });
    expect(expectError(takeover, 409, "conflict").details.reason).toBe("account_exists");
    expect((await login(someoneElse.user.email, "mallory-password")).status).toBe(401);
    expect((await login(someoneElse.user.email, someoneElse.password)).status).toBe(200);
  });

  it("a new address creates its own account from the token and is logged into the project", async () => {
    const email = `new-${crypto.randomUUID()}@example.test`;
    const invited = await api("/api/v1/members", { token: t.keys.admin, body: { email, role: "user" } });
    const token = await tokenFor(invited.body.id);
    expectError(
      await api(`/api/v1/auth/invitations/${token}/accept`, { body: { name: "New", password: "short" } }),
      400,
      "invalid_request",
    );
    const accepted = await api(`/api/v1/auth/invitations/${token}/accept`, { body: { name: "New Person", password: "my-own-password" } });
    expect(accepted.status).toBe(201);
    expect(accepted.body).toMatchObject({ projectId: t.project.id, role: "user", user: { email, name: "New Person" } });
    expect((await api("/api/v1/contacts", { token: accepted.body.accessToken })).status).toBe(200);
    expect((await login(email, "my-own-password")).body.projectId).toBe(t.project.id);
    expectError(
      await api(`/api/v1/auth/invitations/${token}/accept`, { body: { name: "Twice", password: "another-password" } }),
      404,
      "not_found",
    );
    // The events of the join belong to the project joined; none carries the token or the password.
    const { rows } = await db.query.execute<{ topic: string; payload: unknown }>(
      sql`select topic, payload from outbox where project_id = ${t.project.id}
        and (payload->>'invitationId' = ${invited.body.id} or payload->>'userId' = ${accepted.body.user.id}) order by id`,
    );
    expect(rows.map((r) => r.topic).sort()).toEqual(["invitation.accepted", "invitation.created", "member.added"]);
    expect(JSON.stringify(rows)).not.toContain(token.split(".")[1]!);
    expect(JSON.stringify(rows)).not.toContain("my-own-password");
  });

  it("inviting again renews the invitation; an expired one cannot be accepted; members are refused", async () => {
    const email = `renew-${crypto.randomUUID()}@example.test`;
    const first = await api("/api/v1/members", { token: t.keys.admin, body: { email, role: "readonly" } });
    const second = await api("/api/v1/members", { token: t.keys.admin, body: { email, role: "manager" } });
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.role).toBe("manager");
    await db.query.execute(sql`update invitations set expires_at = now() - interval '1 second' where id = ${first.body.id}`);
    const token = await tokenFor(first.body.id);
    expectError(
      await api(`/api/v1/auth/invitations/${token}/accept`, { body: { name: "Late", password: "a-long-password" } }),
      404,
      "not_found",
    );
    expectError(await api("/api/v1/members", { token: t.keys.admin, body: { email: t.user.email, role: "user" } }), 409, "conflict");
    // Managers may not invite.
    expectError(await api("/api/v1/members", { token: t.keys.manager, body: { email, role: "admin" } }), 403, "forbidden");
  });
});
