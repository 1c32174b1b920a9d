import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createDatabase } from "../../src/db";
import worker from "../../src/index";
import { parseWahaDelivery } from "../../src/integrations/waha/payloads";
import { hmacHex, sha256Hex } from "../../src/lib/crypto";
import { createLogger } from "../../src/lib/logger";
import { permanentDataError } from "../../src/services/webhooks/rejections";
import { loadWebhookChannel } from "../../src/services/whatsapp/channel-lookup";
import { receiveWahaDelivery } from "../../src/services/whatsapp/handle-event";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { eventId, inboundText, postWaha } from "../support/waha";

/**
 * A signed event we can never process is acknowledged (200, outcome `rejected`, with its reason) and recorded, so
 * the peer stops retrying it; a transient failure is not acknowledged (5xx), so the peer's retry is processed.
 */
const db = testDatabase();
/** The same database driver pointed at a port nobody listens on: every call fails as an outage does. */
const unreachable = () => createDatabase({ url: env.DATABASE_URL, httpEndpoint: "http://127.0.0.1:1/sql", wsProxy: "127.0.0.1:1/v2" });
const phone = () => `5511${Math.floor(100000000 + Math.random() * 899999999)}`;
const rows = async <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => (await db.query.execute<T>(q)).rows;
const record = async (source: string, dedupeKey: string) =>
  rows<{ outcome: string; reason: string | null; event_type: string }>(
    sql`select outcome, reason, event_type from processed_webhook_events where source = ${source} and dedupe_key = ${dedupeKey}`,
  );

type Actors = Awaited<ReturnType<typeof createActors>>;

describe("WAHA webhook: poison input", () => {
  let t: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });

  const cases: [string, string, unknown, { timestamp?: number }, RegExp][] = [
    [
      "message dated 9e15",
      "message",
      { ...inboundText(`${phone()}@c.us`, "x"), timestamp: 9e15 },
      {},
      /payload\.timestamp: timestamp out of range/,
    ],
    ["session.status dated 1e17", "session.status", { status: "WORKING" }, { timestamp: 1e17 }, /^timestamp: timestamp out of range/],
    ["NUL in the body", "message", inboundText(`${phone()}@c.us`, "a\u0000b"), {}, /payload\.body: must not contain NUL/],
    ["NUL in an edit", "message.edited", { body: "x\u0000", editedMessageId: "false_x@c.us_1" }, {}, /payload\.body/],
    ["NUL in a reaction", "message.reaction", { from: "5511@c.us", reaction: { text: "\u0000", messageId: "m" } }, {}, /reaction\.text/],
    ["fromMe as a string", "message", { ...inboundText(`${phone()}@c.us`, "x"), fromMe: "no" }, {}, /payload\.fromMe/],
    ["ack as a string", "message.ack", { id: "true_x@c.us_1", ack: "3" }, {}, /payload\.ack/],
    [
      "a latitude off the globe",
      "message",
      { ...inboundText(`${phone()}@c.us`, ""), location: { latitude: 123, longitude: 0 } },
      {},
      /latitude/,
    ],
    ["a sender id that is a number", "message", { ...inboundText(`${phone()}@c.us`, "x"), from: 5511 }, {}, /payload\.from/],
  ];

  it.each(cases)(
    "%s: 200 rejected with its reason, recorded once, nothing stored, the retry answered the same",
    async (_, event, payload, opts, reason) => {
      const id = eventId();
      const first = await postWaha(channel, event, payload, { id, ...opts });
      expect(first).toMatchObject({ status: 200, body: { ok: true, outcome: "rejected" } });
      expect(first.body.reason).toMatch(reason);
      const retry = await postWaha(channel, event, payload, { id, ...opts });
      expect(retry).toMatchObject({ status: 200, body: { outcome: "rejected" } });
      expect(await record("waha", `${channel.id}:${id}`)).toEqual([{ outcome: "rejected", reason: first.body.reason, event_type: event }]);
    },
  );

  it("stores nothing from a rejected event: no message, no status change", async () => {
    const before = await rows<{ status: string }>(sql`select status::text from channels where id = ${channel.id}`);
    const from = `${phone()}@c.us`;
    await postWaha(channel, "message", inboundText(from, "a\u0000b"));
    await postWaha(channel, "session.status", { status: "FAILED" }, { timestamp: 1e17 });
    expect(await rows(sql`select id from contact_identifiers where project_id = ${t.project.id} and value = ${from}`)).toEqual([]);
    expect(await rows(sql`select status::text from channels where id = ${channel.id}`)).toEqual(before);
  });

  it("identifies a delivery without a usable envelope id by its body's hash", async () => {
    const raw = '{"id": 42, "event": "message"';
    const res = await postWaha(channel, "message", null, { rawBody: raw });
    expect(res.body).toEqual({ ok: true, outcome: "rejected", reason: "body is not valid JSON" });
    expect(await record("waha", `${channel.id}:sha256:${await sha256Hex(raw)}`)).toEqual([
      { outcome: "rejected", reason: "body is not valid JSON", event_type: "unknown" },
    ]);
  });

  it("ignores engine data it cannot store instead of failing the message", async () => {
    const res = await postWaha(channel, "message", inboundText(`${phone()}@c.us`, "hi", { _data: { notifyName: "Ana\u0000" } }));
    expect(res.body.outcome).toBe("created");
    expect(await rows(sql`select name from contacts where id = ${res.body.contactId}`)).toEqual([{ name: null }]);
  });

  it("does not acknowledge what failed transiently: database down → 5xx, nothing recorded, WAHA's retry is processed", async () => {
    const id = eventId();
    const payload = inboundText(`${phone()}@c.us`, "sent during the outage");
    const raw = JSON.stringify({ id, timestamp: Date.now(), event: "message", session: channel.wahaSession, payload });

    // The service: the failure propagates (it is not turned into a rejection).
    const parsed = await parseWahaDelivery(new TextEncoder().encode(raw));
    const down = unreachable();
    const webhookChannel = (await loadWebhookChannel(db, channel.id))!;
    await expect(receiveWahaDelivery(down, webhookChannel, parsed, createLogger({ test: true }, "error"))).rejects.toThrow();

    // The Worker: its webhook-channel cache (warmed above, in this isolate) finds the channel; ingestion fails.
    const ctx = createExecutionContext();
    const res = await worker.fetch!(
      new Request(`http://crm.test/webhooks/waha/${channel.id}`, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Webhook-Hmac": await hmacHex("SHA-512", channel.webhookSecret, raw) },
        body: raw,
      }) as never,
      { ...env, NEON_HTTP_ENDPOINT: "http://127.0.0.1:1/sql", NEON_WS_PROXY: "127.0.0.1:1/v2" },
      ctx,
    );
    await res.text();
    await waitOnExecutionContext(ctx);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await record("waha", `${channel.id}:${id}`)).toEqual([]);

    // The database is back: the retry of the same delivery is processed.
    const retry = await postWaha(channel, "message", payload, { id });
    expect(retry).toMatchObject({ status: 200, body: { outcome: "created" } });
  });

  it("tells a value the database refuses (permanent) from a database it cannot reach (transient)", async () => {
    const nul = await db.query.execute(sql`select ${"a\u0000b"}::text`).catch((e: unknown) => e);
    expect(permanentDataError(nul)).toMatch(/SQLSTATE 22021/);
    const range = await db.query.execute(sql`select to_timestamp(1e16)`).catch((e: unknown) => e);
    expect(permanentDataError(range)).toMatch(/SQLSTATE 22008/);
    const outage = await unreachable()
      .query.execute(sql`select 1`)
      .catch((e: unknown) => e);
    expect(outage).toBeInstanceOf(Error);
    expect(permanentDataError(outage)).toBeUndefined();
  });
});

describe("Stripe webhook: poison input", () => {
  let n = 0;
  const customer = `cus_poison_${Date.now()}`;
  let tenantId: string;
  beforeAll(async () => {
    tenantId = (await createActors(db)).tenant.id;
  });

  async function postStripe(raw: string) {
    const ts = Math.floor(Date.now() / 1000);
    const sig = await hmacHex("SHA-256", env.STRIPE_WEBHOOK_SECRET, `${ts}.${raw}`);
    const res = await exports.default.fetch("http://crm.test/webhooks/stripe", {
      method: "POST",
      headers: { "content-type": "application/json", "Stripe-Signature": `t=${ts},v1=${sig}` },
      body: raw,
    });
    return { status: res.status, body: (await res.json()) as any };
  }
  const event = (type: string, object: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    id: `evt_poison_${Date.now()}_${n++}`,
    object: "event",
    type,
    created: Math.floor(Date.now() / 1000),
    data: { object },
    ...extra,
  });
  const subscription = (extra: Record<string, unknown>) =>
    event("customer.subscription.updated", {
      id: "sub_p",
      object: "subscription",
      customer,
      status: "active",
      metadata: { tenant_id: tenantId },
      ...extra,
    });

  const cases: [string, ReturnType<typeof event>, RegExp][] = [
    ["current_period_end 1e16", subscription({ current_period_end: 1e16 }), /data\.object\.current_period_end: timestamp out of range/],
    [
      "an item's current_period_end 1e16",
      subscription({ items: { data: [{ current_period_end: 1e16, price: { id: "p" } }] } }),
      /items\.data\.0\.current_period_end/,
    ],
    ["created 1e16", { ...subscription({}), created: 1e16 }, /^not a Stripe event: created: .*timestamp out of range/],
    ["NUL in the status", subscription({ status: "act\u0000ive" }), /data\.object\.status: must not contain NUL/],
    ["a customer that is a number", subscription({ customer: 42 }), /data\.object\.customer/],
  ];

  it.each(cases)("%s: 200 rejected with its reason, recorded, billing untouched", async (_, e, reason) => {
    const before = await rows(sql`select plan, billing_status, current_period_end from tenants where id = ${tenantId}`);
    const res = await postStripe(JSON.stringify(e));
    expect(res).toMatchObject({ status: 200, body: { received: true, outcome: "rejected" } });
    expect(res.body.reason).toMatch(reason);
    expect(await record("stripe", e.id)).toEqual([{ outcome: "rejected", reason: res.body.reason, event_type: e.type }]);
    expect((await postStripe(JSON.stringify(e))).body.outcome).toBe("rejected");
    expect(await rows(sql`select plan, billing_status, current_period_end from tenants where id = ${tenantId}`)).toEqual(before);
  });

  it("a body that is not JSON is rejected under its hash; a tenant hint that is not a UUID is only unmatched", async () => {
    const raw = "{ not json";
    expect((await postStripe(raw)).body).toEqual({ received: true, outcome: "rejected", reason: "body is not valid JSON" });
    expect(await record("stripe", `sha256:${await sha256Hex(raw)}`)).toHaveLength(1);
    const dashes = event("invoice.paid", { id: "in_p", object: "invoice", client_reference_id: "-".repeat(36) });
    expect(await postStripe(JSON.stringify(dashes))).toMatchObject({ status: 200, body: { outcome: "unmatched" } });
  });
});
