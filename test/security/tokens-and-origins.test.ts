import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sign, verify } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { ACCESS_TOKEN_TTL_SECONDS, issueAccessToken } from "../../src/services/auth/tokens";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();

describe("access tokens must expire", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  let claims: Record<string, unknown>;
  beforeAll(async () => {
    t = await createActors(db);
    claims = { sub: t.user.id, tid: t.tenant.id, pid: t.project.id, role: "admin", typ: "access", iss: "ventros-crm" };
  });

  it("the JWT library alone accepts a signed token without exp — which is why the service checks it", async () => {
    const forever = await sign({ ...claims, iat: Math.floor(Date.now() / 1000) }, env.JWT_SECRET, "HS256");
    await expect(verify(forever, env.JWT_SECRET, "HS256")).resolves.toMatchObject({ sub: t.user.id });
  });

  it("refuses a correctly signed token without exp, without iat, or living longer than the service issues", async () => {
    const now = Math.floor(Date.now() / 1000);
    const tokens = {
      "no exp": await sign({ ...claims, iat: now }, env.JWT_SECRET, "HS256"),
      "no iat": await sign({ ...claims, exp: now + 60 }, env.JWT_SECRET, "HS256"),
      "ten years": await sign({ ...claims, iat: now, exp: now + 10 * 365 * 24 * 3600 }, env.JWT_SECRET, "HS256"),
      "backdated iat, far exp": await sign({ ...claims, iat: now - 86_400, exp: now + 3600 }, env.JWT_SECRET, "HS256"),
      "iat in the future": await sign({ ...claims, iat: now + 3600, exp: now + 3600 + 60 }, env.JWT_SECRET, "HS256"),
      "exp as a string": await sign({ ...claims, iat: now, exp: String(now + 60) as unknown as number }, env.JWT_SECRET, "HS256"),
    };
    for (const [label, token] of Object.entries(tokens)) {
      const res = await api("/api/v1/contacts", { token });
      expect(res.status, label).toBe(401);
      expect(res.body.error.code, label).toBe("unauthorized");
    }
  });

  it("accepts what the service issues, up to its full lifetime", async () => {
    const now = Math.floor(Date.now() / 1000);
    const issued = await issueAccessToken(env.JWT_SECRET, {
      userId: t.user.id,
      tenantId: t.tenant.id,
      projectId: t.project.id,
      role: "admin",
    });
    expect((await api("/api/v1/contacts", { token: issued })).status).toBe(200);
    const full = await sign({ ...claims, iat: now, exp: now + ACCESS_TOKEN_TTL_SECONDS }, env.JWT_SECRET, "HS256");
    expect((await api("/api/v1/contacts", { token: full })).status).toBe(200);
  });
});

describe("/mcp Origin check", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });

  const init = {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "origin-test", version: "0" } },
  };
  const headers = (extra: Record<string, string> = {}) => ({
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    authorization: `Bearer ${t.keys.readonly}`,
    ...extra,
  });

  /** Through the Worker with MCP_ALLOWED_ORIGINS configured. */
  async function withAllowed(allowed: string, origin: string) {
    const ctx = createExecutionContext();
    const res = await worker.fetch!(
      new Request("http://crm.test/mcp", { method: "POST", headers: headers({ Origin: origin }), body: JSON.stringify(init) }) as never,
      { ...env, MCP_ALLOWED_ORIGINS: allowed } as Env,
      ctx,
    );
    await res.text();
    await waitOnExecutionContext(ctx);
    return res.status;
  }

  it("refuses an Origin that merely matches the Host the caller sent (both can be forged)", async () => {
    for (const [host, origin] of [
      ["crm.test", "http://crm.test"],
      ["evil.example", "https://evil.example"],
    ] as const) {
      const res = await exports.default.fetch(`http://${host}/mcp`, {
        method: "POST",
        headers: headers({ Origin: origin }),
        body: JSON.stringify(init),
      });
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as any).error.code).toBe("forbidden");
    }
  });

  it("allows configured origins, and clients that send no Origin at all", async () => {
    expect(await withAllowed("https://app.example, https://admin.example", "https://admin.example")).toBe(200);
    expect(await withAllowed("https://app.example", "https://evil.example")).toBe(403);
    const noOrigin = await exports.default.fetch("http://crm.test/mcp", { method: "POST", headers: headers(), body: JSON.stringify(init) });
    expect(noOrigin.status).toBe(200);
    await noOrigin.body?.cancel();
  });
});

describe("projects are created by users", () => {
  it("an API key cannot create a project nobody could enter; a user can, and becomes its admin", async () => {
    const t = await createActors(db);
    expectError(await api("/api/v1/projects", { token: t.keys.admin, body: { name: "Orphan", slug: "orphan" } }), 403, "forbidden");
    const login = await api("/api/v1/auth/login", { body: { email: t.user.email, password: t.password } });
    const created = await api("/api/v1/projects", { token: login.body.accessToken, body: { name: "Owned", slug: "owned" } });
    expect(created.status).toBe(201);
    const inNew = await api("/api/v1/auth/login", { body: { email: t.user.email, password: t.password, projectId: created.body.id } });
    expect(inNew.body.role).toBe("admin");
  });
});
