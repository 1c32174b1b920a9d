import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/fixtures";

const db = testDatabase();

describe("auth", () => {
  let t: TenantFixture;
  beforeAll(async () => {
    t = await createTenantFixture(db);
  });

  const login = (body: unknown) => api("/api/v1/auth/login", { body });

  it("logs in with email and password and the token authenticates API calls", async () => {
    const res = await login({ email: t.user.email.toUpperCase(), password: t.password });
    expect(res.status).toBe(200);
    expect(res.body.tokenType).toBe("Bearer");
    expect(res.body.expiresIn).toBe(900);
    expect(res.body.projectId).toBe(t.project.id);
    expect(res.body.role).toBe("admin");
    const contacts = await api("/api/v1/contacts", { token: res.body.accessToken });
    expect(contacts.status).toBe(200);
  });

  it("rejects a wrong password and an unknown email with the same 401", async () => {
    const wrong = expectError(await login({ email: t.user.email, password: "nope" }), 401, "unauthorized");
    const unknown = expectError(await login({ email: "nobody@example.test", password: "nope" }), 401, "unauthorized");
    expect(wrong.message).toBe(unknown.message);
  });

  it("validates the login body", async () => {
    const err = expectError(await login({ email: "not-an-email" }), 400, "invalid_request");
    expect(JSON.stringify(err.details)).toContain("email");
    expect(JSON.stringify(err.details)).toContain("password");
    expectError(
      await api("/api/v1/auth/login", { rawBody: "{not json", headers: { "content-type": "application/json" } }),
      400,
      "invalid_request",
    );
  });

  it("refuses a project the user is not a member of", async () => {
    const other = await createTenantFixture(db);
    expectError(await login({ email: t.user.email, password: t.password, projectId: other.project.id }), 403, "forbidden");
  });

  it("rotates refresh tokens and revokes the whole login when a used one is replayed", async () => {
    const first = (await login({ email: t.user.email, password: t.password })).body;
    const second = await api("/api/v1/auth/refresh", { body: { refreshToken: first.refreshToken } });
    expect(second.status).toBe(200);
    expect(second.body.refreshToken).not.toBe(first.refreshToken);
    // Replay of the consumed token: refused, and the token issued from it dies too.
    expectError(await api("/api/v1/auth/refresh", { body: { refreshToken: first.refreshToken } }), 401, "unauthorized");
    expectError(await api("/api/v1/auth/refresh", { body: { refreshToken: second.body.refreshToken } }), 401, "unauthorized");
  });

  it("logout revokes the refresh token", async () => {
    const tokens = (await login({ email: t.user.email, password: t.password })).body;
    expectError(await api("/api/v1/auth/logout", { body: { refreshToken: tokens.refreshToken } }), 401, "unauthorized");
    const out = await api("/api/v1/auth/logout", { token: tokens.accessToken, body: { refreshToken: tokens.refreshToken } });
    expect(out.status).toBe(204);
    expectError(await api("/api/v1/auth/refresh", { body: { refreshToken: tokens.refreshToken } }), 401, "unauthorized");
  });

  it("rejects missing, malformed, forged, expired and wrong-algorithm tokens", async () => {
    const claims = { sub: t.user.id, tid: t.tenant.id, pid: t.project.id, role: "admin", typ: "access", iss: "ventros-crm" };
    const now = Math.floor(Date.now() / 1000);
    const forged = await sign({ ...claims, iat: now, exp: now + 60 }, "another-secret-another-secret-another-secret", "HS256");
    const expired = await sign({ ...claims, iat: now - 3600, exp: now - 60 }, env.JWT_SECRET, "HS256");
    const hs512 = await sign({ ...claims, iat: now, exp: now + 60 }, env.JWT_SECRET, "HS512");
    const noneAlg = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" }))}.${btoa(JSON.stringify({ ...claims, exp: now + 60 }))}.`;
    for (const token of [undefined, "garbage", forged, expired, hs512, noneAlg, "vtr_not-a-real-key"]) {
      expectError(await api("/api/v1/contacts", { token }), 401, "unauthorized");
    }
    expectError(await api("/api/v1/contacts", { headers: { authorization: "Basic abc" } }), 401, "unauthorized");
    const expiredErr = expectError(await api("/api/v1/contacts", { token: expired }), 401, "unauthorized");
    expect(expiredErr.message).toMatch(/expired/i);
  });

  it("limits password attempts per client and account with 429 and Retry-After", async () => {
    const victim = await createTenantFixture(db);
    // The limiter counts in fixed one-minute windows: start well inside one so all attempts land in the same window.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 50_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await login({ email: victim.user.email, password: `guess-${i}` })).status);
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    const limited = await login({ email: victim.user.email, password: victim.password });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(limited.headers.get("Retry-After")).toBe("60");
    // Other accounts are not affected.
    expect((await login({ email: t.user.email, password: t.password })).status).toBe(200);
  });

  it("accepts API keys, records their last use, and rejects revoked ones", async () => {
    const key = await t.apiKey("readonly");
    expect(key.key).toMatch(/^vtr_/);
    expect((await api("/api/v1/contacts", { token: key.key })).status).toBe(200);
    await expect
      .poll(
        async () =>
          (await db.query.execute<{ last_used_at: string | null }>(sql`select last_used_at from api_keys where id = ${key.id}`)).rows[0]
            ?.last_used_at,
        { timeout: 5000 },
      )
      .not.toBeNull();
    const admin = await t.apiKey("admin");
    expect((await api(`/api/v1/api-keys/${key.id}`, { token: admin.key, method: "DELETE" })).status).toBe(200);
    expectError(await api("/api/v1/contacts", { token: key.key }), 401, "unauthorized");
  });

  it("refuses at once a key revoked elsewhere before this isolate cached it, and an unknown key", async () => {
    const key = await t.apiKey("readonly");
    // Never used here, so never cached: a revocation written by another isolate (or by hand) applies at once.
    await db.query.execute(sql`update api_keys set revoked_at = now() where id = ${key.id}`);
    expectError(await api("/api/v1/contacts", { token: key.key }), 401, "unauthorized");
    expectError(await api("/api/v1/contacts", { token: `${key.key.slice(0, -4)}0000` }), 401, "unauthorized");
  });
});
