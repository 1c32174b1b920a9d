import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/crypto";
import { issueAccessToken } from "../../src/services/auth/tokens";
import { testDatabase } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/fixtures";
import { eventId, inboundText } from "../support/waha";
import { faultyWorker } from "./support";

/**
 * The database as a dependency that fails. Through the Neon proxy stand-in's fault scope, the database goes down
 * (connections dropped) or hangs (accepted, never answered) for one Worker environment, then comes back. Every
 * assertion is an outcome: a 503 with Retry-After (the timeout is a binding, so a hung database answers within
 * it), a `/health` state, and the same calls answering 200 once the database is back — with no restart and
 * nothing acknowledged lost.
 */
const db = testDatabase();

describe("database outage", () => {
  let t: TenantFixture;
  let apiKey: string;
  let jwt: string;
  let channel: Awaited<ReturnType<TenantFixture["channel"]>>;
  beforeAll(async () => {
    t = await createTenantFixture(db);
    apiKey = (await t.apiKey("admin")).key;
    jwt = await issueAccessToken(env.JWT_SECRET, { userId: t.user.id, tenantId: t.tenant.id, projectId: t.project.id, role: "admin" });
    channel = await t.channel();
  });

  /** A signed WAHA delivery of one inbound text (the same envelope each time it is sent). */
  const wahaDelivery = async (id: string, messageText: string) => {
    const raw = JSON.stringify({
      id,
      timestamp: Date.now(),
      event: "message",
      session: channel.wahaSession,
      metadata: {},
      me: { id: "5511900000000@c.us", pushName: "Loja" },
      payload: inboundText(`55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`, messageText),
      engine: "WEBJS",
    });
    const hmac = await hmacHex("SHA-512", channel.webhookSecret!, raw);
    return {
      rawBody: raw,
      headers: { "content-type": "application/json", "X-Webhook-Hmac": hmac, "X-Webhook-Hmac-Algorithm": "sha512" },
    };
  };

  const stripeDelivery = async (id: string) => {
    const raw = JSON.stringify({
      id,
      object: "event",
      type: "checkout.session.completed",
      created: Math.floor(Date.now() / 1000),
      data: {
        object: {
          id: `cs_${id}`,
          object: "checkout.session",
          client_reference_id: t.tenant.id,
          customer: `cus_${id}`,
          subscription: `sub_${id}`,
          payment_status: "paid",
          status: "complete",
        },
      },
    });
    const ts = Math.floor(Date.now() / 1000);
    const sig = await hmacHex("SHA-256", env.STRIPE_WEBHOOK_SECRET, `${ts}.${raw}`);
    return { rawBody: raw, headers: { "content-type": "application/json", "Stripe-Signature": `t=${ts},v1=${sig}` } };
  };

  const expectUnavailable = (res: { status: number; body: any; text: string; headers: Headers }, label: string) => {
    expect(res.status, `${label}: ${res.text}`).toBe(503);
    expect(res.body.error.code, label).toBe("unavailable");
    expect(Number(res.headers.get("Retry-After")), label).toBeGreaterThan(0);
    // Nothing about the database's internals reaches the client.
    expect(res.text, label).not.toMatch(/select|insert|update|from "|params:|Failed query/i);
  };

  for (const mode of ["down", "hang"] as const) {
    it(`${mode}: API, login, webhooks and health answer 503 (never 500), then recover by themselves`, async () => {
      const w = faultyWorker();
      // Healthy first, through the same scope.
      expect((await w.call("/health")).body.database).toBe("up");

      await w.fault(mode);
      const health = await w.call("/health");
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ status: "unavailable", database: mode === "down" ? "down" : "slow" });
      expect(Number(health.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(health.text).not.toMatch(/select|drizzle|Failed query/i);

      // Reads over HTTP (API key resolution is itself a query; a JWT needs none before the handler's).
      expectUnavailable(await w.call("/api/v1/contacts", { token: apiKey }), "list with an API key");
      expectUnavailable(await w.call("/api/v1/contacts", { token: jwt }), "list with a JWT");
      // A write that runs as an interactive transaction, i.e. over the WebSocket pool.
      const key = await t.apiKey("readonly");
      expectUnavailable(await w.call(`/api/v1/api-keys/${key.id}`, { method: "DELETE", token: jwt }), "transaction over the pool");
      expectUnavailable(
        await w.call("/api/v1/auth/login", { body: { email: t.user.email, password: t.password }, headers: { "cf-connecting-ip": mode } }),
        "login",
      );

      // Webhooks answer 503 so that the peer retries; nothing of the delivery was kept.
      const waha = await wahaDelivery(eventId(), `during ${mode}`);
      expectUnavailable(await w.call(`/webhooks/waha/${channel.id}`, waha), "WAHA webhook");
      const stripe = await stripeDelivery(`evt_outage_${mode}_${crypto.randomUUID().slice(0, 8)}`);
      expectUnavailable(await w.call("/webhooks/stripe", stripe), "Stripe webhook");

      // A queue consumer asks for a retry instead of acknowledging.
      const event = {
        id: crypto.randomUUID(),
        topic: "message.created",
        tenantId: t.tenant.id,
        projectId: t.project.id,
        payload: { messageId: crypto.randomUUID() },
      };
      expect(await w.consume(event)).toEqual({ acked: false, retried: true });

      // The database comes back: the very same calls succeed, with no restart of anything.
      await w.fault("ok");
      expect((await w.call("/health")).body).toMatchObject({ status: "ok", database: "up" });
      expect((await w.call("/api/v1/contacts", { token: apiKey })).status).toBe(200);
      expect((await w.call("/api/v1/contacts", { token: jwt })).status).toBe(200);
      expect((await w.call(`/api/v1/api-keys/${key.id}`, { method: "DELETE", token: jwt })).body.revokedAt).toBeTruthy();
      expect(
        (await w.call("/api/v1/auth/login", { body: { email: t.user.email, password: t.password }, headers: { "cf-connecting-ip": mode } }))
          .status,
      ).toBe(200);

      // The peers' retries are processed normally, exactly once.
      const retried = await w.call(`/webhooks/waha/${channel.id}`, waha);
      expect(retried.status).toBe(200);
      expect(retried.body.outcome).toBe("created");
      expect(
        (
          await db.query.execute<{ n: number }>(
            sql`select count(*)::int as n from messages where id = ${retried.body.messageId} and project_id = ${t.project.id}`,
          )
        ).rows[0]!.n,
      ).toBe(1);
      expect((await w.call(`/webhooks/waha/${channel.id}`, waha)).body.outcome).toBe("duplicate_delivery");
      const stripeRetry = await w.call("/webhooks/stripe", stripe);
      expect(stripeRetry.status).toBe(200);
      expect(stripeRetry.body.outcome).toBe("applied");
      expect(await w.consume(event)).toEqual({ acked: true, retried: false });
    });
  }

  it("a fault in one scope leaves every other caller's database working", async () => {
    const broken = faultyWorker();
    const healthy = faultyWorker();
    await broken.fault("down");
    try {
      expect((await broken.call("/api/v1/contacts", { token: apiKey })).status).toBe(503);
      expect((await healthy.call("/api/v1/contacts", { token: apiKey })).status).toBe(200);
      expect((await db.query.execute<{ one: number }>(sql`select 1 as one`)).rows[0]!.one).toBe(1);
    } finally {
      await broken.fault("ok");
    }
  });
});
