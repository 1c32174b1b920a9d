import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { IDEMPOTENCY_LEASE_SECONDS } from "../../src/http/middleware/idempotency";
import { sha256Hex } from "../../src/lib/crypto";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();
const stored = async (key: string) =>
  (
    await db.query.execute<{ status: number | null; response_body: unknown }>(
      sql`select status, response_body from idempotency_keys where key = ${key}`,
    )
  ).rows;

describe("Idempotency-Key: stored responses and reservations", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });

  it("never stores a secret in plaintext: a new API key is replayed to the same credential only", async () => {
    const key = `idem-${crypto.randomUUID()}`;
    const first = await api("/api/v1/api-keys", {
      token: t.keys.admin,
      body: { name: "CI key!", role: "readonly" },
      headers: { "Idempotency-Key": key },
    });
    expect(first.status).toBe(201);
    expect(first.body.key).toMatch(/^vtr_/);
    // What the database holds: a sealed body, no key, not even its displayed prefix or its name.
    const [row] = await stored(key);
    expect(row!.status).toBe(201);
    const text = JSON.stringify(row!.response_body);
    expect(text).not.toContain(first.body.key);
    expect(text).not.toContain(first.body.key.slice(0, 10));
    // A name with characters base64url never produces, so the sealed text cannot contain it by chance.
    expect(text).not.toContain("CI key!");
    expect(row!.response_body).toMatchObject({ sealed: expect.any(String), iv: expect.any(String), ct: expect.any(String) });
    // The same caller replays it exactly.
    const again = await api("/api/v1/api-keys", {
      token: t.keys.admin,
      body: { name: "CI key!", role: "readonly" },
      headers: { "Idempotency-Key": key },
    });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
  });

  it("the same user with another access token cannot open what the first one stored (409, clear reason)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: t.user.id, tid: t.tenant.id, pid: t.project.id, role: "admin", typ: "access", iss: "ventros-crm" };
    const tokenA = await sign({ ...claims, iat: now - 1, exp: now + 600 }, env.JWT_SECRET, "HS256");
    const tokenB = await sign({ ...claims, iat: now, exp: now + 600 }, env.JWT_SECRET, "HS256");
    expect(tokenA).not.toBe(tokenB);
    const headers = { "Idempotency-Key": `idem-${crypto.randomUUID()}` };
    const body = { name: "WA", wahaSession: `s-${crypto.randomUUID().slice(0, 8)}`, baseUrl: "http://127.0.0.1:9/waha" };
    const created = await api("/api/v1/channels", { token: tokenA, body, headers });
    expect(created.status).toBe(201);
    expect(created.body.webhookSecret).toBeTruthy();
    expect(JSON.stringify((await stored(headers["Idempotency-Key"]))[0])).not.toContain(created.body.webhookSecret);
    const other = expectError(await api("/api/v1/channels", { token: tokenB, body, headers }), 409, "conflict");
    expect(other.details.reason).toBe("idempotency_credential_changed");
    expect(JSON.stringify(other)).not.toContain(created.body.webhookSecret);
    expect((await api("/api/v1/channels", { token: tokenA, body, headers })).body.webhookSecret).toBe(created.body.webhookSecret);
  });

  it("a reservation left by a request that died frees its key once its lease has passed", async () => {
    // The reservation the middleware writes before running a request — here for a request that never finished.
    const insertReservation = async (key: string, ageSeconds: number, body: unknown) =>
      db.query.execute(sql`
        insert into idempotency_keys (id, tenant_id, project_id, actor_id, key, method, path, request_hash, created_at)
        select gen_random_uuid(), ${t.tenant.id}, ${t.project.id}, id::text, ${key}, 'POST', '/api/v1/contacts',
               ${await sha256Hex(`POST /api/v1/contacts\n${JSON.stringify(body)}`)}, now() - make_interval(secs => ${ageSeconds})
        from api_keys where project_id = ${t.project.id} and role = 'admin' and revoked_at is null order by id limit 1`);
    // Within its lease the key is still being processed: 409, and the answer says when to come back.
    const fresh = `idem-${crypto.randomUUID()}`;
    await insertReservation(fresh, 1, { name: "Busy" });
    const busy = await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Busy" }, headers: { "Idempotency-Key": fresh } });
    expect(expectError(busy, 409, "conflict").details.reason).toBe("idempotency_in_progress");
    expect(busy.headers.get("Retry-After")).toBeTruthy();
    // Past its lease, the same key runs the request (once) and stores its answer.
    const abandoned = `idem-${crypto.randomUUID()}`;
    await insertReservation(abandoned, IDEMPOTENCY_LEASE_SECONDS + 5, { name: "Retried" });
    const ran = await api("/api/v1/contacts", {
      token: t.keys.admin,
      body: { name: "Retried" },
      headers: { "Idempotency-Key": abandoned },
    });
    expect(ran.status).toBe(201);
    const replay = await api("/api/v1/contacts", {
      token: t.keys.admin,
      body: { name: "Retried" },
      headers: { "Idempotency-Key": abandoned },
    });
    expect(replay.body.id).toBe(ran.body.id);
    expect(replay.headers.get("Idempotent-Replayed")).toBe("true");
  });
});
