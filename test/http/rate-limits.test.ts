import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

/** The tenant is moved to `test_tiny` (3 per key, 5 per tenant per hour — vitest.config.ts), other tenants keep theirs. */
const db = testDatabase();

describe("rate limits per API key and per tenant", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  let other: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    [t, other] = await Promise.all([createActors(db), createActors(db)]);
    await db.query.execute(sql`update tenants set plan = 'test_tiny' where id = ${t.tenant.id}`);
  });

  it("counts each key, then the tenant, answers 429 with Retry-After and RateLimit headers, and spares other tenants", async () => {
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api("/api/v1/tags", { token: t.keys.admin });
      expect(res.status).toBe(200);
      expect(res.headers.get("RateLimit-Policy")).toBe('"key";q=3;w=3600, "tenant";q=5;w=3600');
      remaining.push(res.headers.get("RateLimit")!);
    }
    expect(remaining.map((h) => h.match(/^"key";r=(\d+);t=\d+$/)?.[1])).toEqual(["2", "1", "0"]);

    const limited = await api("/api/v1/tags", { token: t.keys.admin });
    expect(expectError(limited, 429, "rate_limited").details).toMatchObject({ scope: "key" });
    expect(Number(limited.headers.get("Retry-After"))).toBeGreaterThan(0);

    // Another key of the same tenant still has its own allowance, until the tenant's is spent (5 counted requests).
    expect((await api("/api/v1/tags", { token: t.keys.user })).status).toBe(200);
    expect((await api("/v1/mcp/execute", { token: t.keys.readonly, body: { tool_name: "get_pipelines", arguments: {} } })).status).toBe(
      200,
    );
    const tenantLimited = await api("/api/v1/tags", { token: t.keys.manager });
    expect(expectError(tenantLimited, 429, "rate_limited").details).toMatchObject({ scope: "tenant" });
    const mcp = await api("/v1/mcp/execute", { token: t.keys.user, body: { tool_name: "get_pipelines", arguments: {} } });
    expect(mcp.status).toBe(429);

    const neighbour = await api("/api/v1/tags", { token: other.keys.admin });
    expect(neighbour.status).toBe(200);
    expect(neighbour.headers.get("RateLimit-Policy")).toContain('"key";q=1000000');
  });
});
