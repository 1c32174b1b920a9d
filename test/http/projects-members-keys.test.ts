import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors, createTenantFixture } from "../support/fixtures";
import { addMemberByInvitation } from "../support/invitations";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

/** The outbox rows written about one resource, oldest first. */
const eventsFor = async (key: string, id: string) =>
  (
    await db.query.execute<{ topic: string; project_id: string; payload: Record<string, unknown> }>(
      sql`select topic, project_id, payload from outbox where payload->>${key} = ${id} order by created_at, id`,
    )
  ).rows;
const topicsFor = async (key: string, id: string) => (await eventsFor(key, id)).map((e) => e.topic);

describe("projects, members and API keys", () => {
  let t: Actors;
  let adminToken: string;
  beforeAll(async () => {
    t = await createActors(db);
    adminToken = (await api("/api/v1/auth/login", { body: { email: t.user.email, password: t.password } })).body.accessToken;
  });

  it("creates a project, lists only the caller's projects, and logs into the new one", async () => {
    const created = await api("/api/v1/projects", { token: adminToken, body: { name: "Support", slug: "support" } });
    expect(created.status).toBe(201);
    // The event belongs to the new project's stream and names its first admin.
    expect(await eventsFor("projectId", created.body.id)).toEqual([
      {
        topic: "project.created",
        project_id: created.body.id,
        payload: { projectId: created.body.id, name: "Support", slug: "support", adminUserId: t.user.id },
      },
    ]);
    expectError(await api("/api/v1/projects", { token: adminToken, body: { name: "Dup", slug: "support" } }), 409, "conflict");
    expectError(await api("/api/v1/projects", { token: adminToken, body: { name: "Bad", slug: "Has Spaces" } }), 400, "invalid_request");
    const mine = await api("/api/v1/projects", { token: adminToken });
    expect(mine.body.data.map((p: any) => p.slug).sort()).toEqual(["main", "support"]);
    // An API key sees only its own project.
    expect((await api("/api/v1/projects", { token: t.keys.readonly })).body.data.map((p: any) => p.id)).toEqual([t.project.id]);
    const login = await api("/api/v1/auth/login", { body: { email: t.user.email, password: t.password, projectId: created.body.id } });
    expect(login.body.projectId).toBe(created.body.id);
    // Data is per project: the new project starts empty.
    expect((await api("/api/v1/contacts", { token: login.body.accessToken })).body.data).toEqual([]);
  });

  it("changes project settings", async () => {
    const res = await api("/api/v1/projects/current", {
      token: t.keys.admin,
      method: "PATCH",
      body: { settings: { sessionTimeoutMinutes: 45 } },
    });
    expect(res.body.settings).toEqual({ sessionTimeoutMinutes: 45 });
    // Given settings are merged into the current ones.
    const renamed = await api("/api/v1/projects/current", {
      token: t.keys.admin,
      method: "PATCH",
      body: { name: "Main desk", settings: { messageGroupWindowSeconds: 30 } },
    });
    expect(renamed.body).toMatchObject({ name: "Main desk", settings: { sessionTimeoutMinutes: 45, messageGroupWindowSeconds: 30 } });
    expectError(
      await api("/api/v1/projects/current", { token: t.keys.admin, method: "PATCH", body: { settings: { sessionTimeoutMinutes: 0 } } }),
      400,
      "invalid_request",
    );
    expectError(await api("/api/v1/projects/current", { token: t.keys.admin, method: "PATCH", body: {} }), 400, "invalid_request");
    const updates = (await eventsFor("projectId", t.project.id)).filter((e) => e.topic === "project.updated");
    expect(updates.map((e) => e.payload.fields)).toEqual([["settings"], ["name", "settings"]]);
  });

  it("adds members by invitation, changes roles, keeps the last admin", async () => {
    const email = `agent-${Date.now()}@example.test`;
    expectError(
      await api("/api/v1/members", { token: t.keys.admin, body: { email: "not-an-email", role: "user" } }),
      400,
      "invalid_request",
    );
    const invited = await addMemberByInvitation(t.keys.admin, { email, name: "Agent", role: "user", password: "a-long-password" });
    const added = { body: invited };
    const login = await api("/api/v1/auth/login", { body: { email, password: "a-long-password" } });
    expect(login.body.role).toBe("user");
    expectError(await api("/api/v1/members", { token: t.keys.admin, body: { email, role: "user" } }), 409, "conflict");
    // An account from another tenant is only invited (202, as for any address): it joins when its owner accepts.
    const other = await createTenantFixture(db);
    expect((await api("/api/v1/members", { token: t.keys.admin, body: { email: other.user.email, role: "readonly" } })).status).toBe(202);

    const promoted = await api(`/api/v1/members/${added.body.id}`, { token: t.keys.admin, method: "PATCH", body: { role: "manager" } });
    expect(promoted.body).toMatchObject({ id: added.body.id, role: "manager", user: { email, name: "Agent" } });
    // Unchanged role: same answer, no event.
    expect(
      (await api(`/api/v1/members/${added.body.id}`, { token: t.keys.admin, method: "PATCH", body: { role: "manager" } })).body.role,
    ).toBe("manager");
    expectError(
      await api(`/api/v1/members/${added.body.id}`, { token: t.keys.admin, method: "PATCH", body: { role: "owner" } }),
      400,
      "invalid_request",
    );
    const members = (await api("/api/v1/members", { token: t.keys.manager })).body.data;
    const adminMembership = members.find((m: any) => m.role === "admin");
    expectError(
      await api(`/api/v1/members/${adminMembership.id}`, { token: t.keys.admin, method: "PATCH", body: { role: "user" } }),
      409,
      "conflict",
    );
    expectError(await api(`/api/v1/members/${adminMembership.id}`, { token: t.keys.admin, method: "DELETE" }), 409, "conflict");
    // Removal ends refresh-token access.
    expect((await api(`/api/v1/members/${added.body.id}`, { token: t.keys.admin, method: "DELETE" })).status).toBe(204);
    expectError(await api("/api/v1/auth/refresh", { body: { refreshToken: login.body.refreshToken } }), 401, "unauthorized");
    const events = await eventsFor("memberId", added.body.id);
    expect(events.map((e) => e.topic)).toEqual(["member.added", "member.role_changed", "member.removed"]);
    expect(events[1]!.payload).toMatchObject({ from: "user", to: "manager" });
    expect(JSON.stringify(events)).not.toContain("a-long-password");
    // Refused changes write nothing.
    expect(await topicsFor("memberId", adminMembership.id)).toEqual([]);
  });

  it("creates API keys shown once, lists them without secrets, revokes them", async () => {
    const created = await api("/api/v1/api-keys", { token: adminToken, body: { name: "ADK", role: "user" } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^vtr_/);
    expect((await api("/api/v1/contacts", { token: created.body.key })).status).toBe(200);
    const listed = (await api("/api/v1/api-keys", { token: adminToken })).body.data;
    const row = listed.find((k: any) => k.id === created.body.id);
    expect(row).toMatchObject({ name: "ADK", role: "user", prefix: created.body.key.slice(0, 10) });
    expect(JSON.stringify(listed)).not.toContain(created.body.key);
    expectError(
      await api("/api/v1/api-keys", { token: adminToken, body: { name: "old", role: "user", expiresAt: "2020-01-01" } }),
      400,
      "invalid_request",
    );
    expect((await api(`/api/v1/api-keys/${created.body.id}`, { token: adminToken, method: "DELETE" })).body.revokedAt).toBeTruthy();
    expectError(await api("/api/v1/contacts", { token: created.body.key }), 401, "unauthorized");
    // Revoking again: no live key with that id, and no second event.
    expectError(await api(`/api/v1/api-keys/${created.body.id}`, { token: adminToken, method: "DELETE" }), 404, "not_found");
    const events = await eventsFor("apiKeyId", created.body.id);
    expect(events.map((e) => e.topic)).toEqual(["api_key.created", "api_key.revoked"]);
    // Events never carry key material, not even the displayed prefix.
    expect(JSON.stringify(events)).not.toContain(created.body.key.slice(0, 10));
  });

  it("treats another tenant's members and keys as missing, and changes nothing of theirs", async () => {
    const other = await createActors(db);
    const [member] = (await api("/api/v1/members", { token: other.keys.admin })).body.data;
    const [key] = (await api("/api/v1/api-keys", { token: other.keys.admin })).body.data;
    expectError(
      await api(`/api/v1/members/${member.id}`, { token: t.keys.admin, method: "PATCH", body: { role: "readonly" } }),
      404,
      "not_found",
    );
    expectError(await api(`/api/v1/members/${member.id}`, { token: t.keys.admin, method: "DELETE" }), 404, "not_found");
    expectError(await api(`/api/v1/api-keys/${key.id}`, { token: t.keys.admin, method: "DELETE" }), 404, "not_found");
    expect((await api("/api/v1/members", { token: other.keys.admin })).body.data[0]).toMatchObject({ id: member.id, role: "admin" });
    expect((await api("/api/v1/api-keys", { token: other.keys.admin })).body.data[0]).toMatchObject({ id: key.id, revokedAt: null });
    expect([...(await topicsFor("memberId", member.id)), ...(await topicsFor("apiKeyId", key.id))]).toEqual(["api_key.created"]);
  });

  it("honours Idempotency-Key on POST: replay, mismatch and fresh keys", async () => {
    const headers = { "Idempotency-Key": `idem-${crypto.randomUUID()}` };
    const first = await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Once" }, headers });
    const again = await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Once" }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expectError(await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Different" }, headers }), 422, "unprocessable");
    // Keys are per caller: another key holder with the same Idempotency-Key creates their own contact.
    const other = await api("/api/v1/contacts", { token: t.keys.manager, body: { name: "Once" }, headers });
    expect(other.body.id).not.toBe(first.body.id);
    const found = await api("/api/v1/contacts?q=Once", { token: t.keys.admin });
    expect(found.body.data).toHaveLength(2);
    // A rejected request is not stored: fixing it and retrying with the same key works.
    const k2 = { "Idempotency-Key": `idem-${crypto.randomUUID()}` };
    expectError(await api("/api/v1/contacts", { token: t.keys.admin, body: { email: "bad" }, headers: k2 }), 400, "invalid_request");
    expect((await api("/api/v1/contacts", { token: t.keys.admin, body: { email: "good@example.test" }, headers: k2 })).status).toBe(201);
    expectError(
      await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "x" }, headers: { "Idempotency-Key": "" } }),
      400,
      "invalid_request",
    );
  });
});
