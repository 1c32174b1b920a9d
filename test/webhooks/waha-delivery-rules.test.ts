import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/db";
import { runScheduled } from "../../src/jobs/scheduled";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { eventId, inboundText, postWaha } from "../support/waha";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const phone = () => `5511${Math.floor(100000000 + Math.random() * 899999999)}`;
const rows = async <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => (await db.query.execute<T>(q)).rows;
const one = async <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => (await rows<T>(q))[0]!;
const topics = async (key: string, value: string, topic: string) =>
  (await one<{ n: number }>(sql`select count(*)::int as n from outbox where payload->>${key} = ${value} and topic = ${topic}`)).n;

describe("WAHA webhook: every event type is applied once per envelope id", () => {
  let t: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });

  async function inbound() {
    const chat = `${phone()}@c.us`;
    const msg = inboundText(chat, "quero 2");
    const created = await postWaha(channel, "message", msg);
    return { chat, waId: msg.id, id: created.body.messageId as string };
  }
  /** Posts the same envelope `times` times and returns the outcomes. */
  async function deliver(times: number, event: string, payload: unknown, opts: { timestamp?: number } = {}) {
    const id = eventId();
    const out: string[] = [];
    for (let i = 0; i < times; i++) out.push((await postWaha(channel, event, payload, { id, ...opts })).body.outcome);
    return out;
  }

  it("a replayed reaction does not come back after its removal", async () => {
    const m = await inbound();
    const like = { from: m.chat, fromMe: false, reaction: { text: "👍", messageId: m.waId } };
    const likeId = eventId();
    expect((await postWaha(channel, "message.reaction", like, { id: likeId })).body.outcome).toBe("updated");
    const removal = { ...like, reaction: { text: "", messageId: m.waId } };
    expect((await postWaha(channel, "message.reaction", removal)).body.outcome).toBe("updated");
    expect((await postWaha(channel, "message.reaction", like, { id: likeId })).body.outcome).toBe("duplicate_delivery");
    expect((await one<any>(sql`select reactions from messages where id = ${m.id}`)).reactions).toEqual({});
    expect(await topics("messageId", m.id, "message.reaction")).toBe(2);
  });

  it("revokes, edits, acks and session statuses: three deliveries, one effect, one event", async () => {
    const m = await inbound();
    expect(await deliver(3, "message.revoked", { revokedMessageId: m.waId })).toEqual([
      "updated",
      "duplicate_delivery",
      "duplicate_delivery",
    ]);
    expect(await topics("messageId", m.id, "message.revoked")).toBe(1);

    expect(await deliver(3, "message.edited", { body: "quero 3", editedMessageId: m.waId })).toEqual([
      "updated",
      "duplicate_delivery",
      "duplicate_delivery",
    ]);
    const edited = await one<any>(sql`select body, metadata from messages where id = ${m.id}`);
    expect(edited.body).toBe("quero 3");
    expect(edited.metadata.edits).toHaveLength(1);
    expect(await topics("messageId", m.id, "message.edited")).toBe(1);

    const waId = `true_${m.chat}_${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
    const [out] = await db.query
      .insert(schema.messages)
      .values({
        tenantId: t.tenant.id,
        projectId: t.project.id,
        sessionId: (await one<{ session_id: string }>(sql`select session_id from messages where id = ${m.id}`)).session_id,
        contactId: (await one<{ contact_id: string }>(sql`select contact_id from messages where id = ${m.id}`)).contact_id,
        channelId: channel.id,
        direction: "outbound",
        status: "sent",
        body: "reply",
        channelMessageId: waId,
        fromMe: true,
      })
      .returning();
    expect(await deliver(3, "message.ack", { id: waId, fromMe: true, ack: 3 })).toEqual([
      "updated",
      "duplicate_delivery",
      "duplicate_delivery",
    ]);
    expect(await topics("messageId", out!.id, "message.read")).toBe(1);
    const unknownId = `true_${m.chat}_NOTYET${Date.now()}`;
    expect(await deliver(3, "message.ack", { id: unknownId, fromMe: true, ack: 2 })).toEqual([
      "parked",
      "duplicate_delivery",
      "duplicate_delivery",
    ]);
    expect(await rows(sql`select ack from pending_message_acks where channel_message_id = ${unknownId}`)).toEqual([{ ack: 2 }]);

    const statusEvents = await topics("channelId", channel.id, "channel.status_changed");
    expect(await deliver(3, "session.status", { status: "WORKING" })).toEqual(["updated", "duplicate_delivery", "duplicate_delivery"]);
    expect(await topics("channelId", channel.id, "channel.status_changed")).toBe(statusEvents + 1);
  });

  it("concurrent replays of one delivery apply once", async () => {
    const m = await inbound();
    const id = eventId();
    const like = { from: m.chat, fromMe: false, reaction: { text: "🔥", messageId: m.waId } };
    const results = await Promise.all(Array.from({ length: 8 }, () => postWaha(channel, "message.reaction", like, { id })));
    expect(results.map((r) => r.body.outcome).sort()).toEqual(["updated", ...Array(7).fill("duplicate_delivery")].sort());
    expect(await topics("messageId", m.id, "message.reaction")).toBe(1);
  });
});

describe("WAHA webhook: event times are clamped to their receipt", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });
  const year2100 = Date.UTC(2100, 0, 1);

  it("a session.status dated in the future applies now and does not freeze the channel's status", async () => {
    const channel = await t.channel();
    expect((await postWaha(channel, "session.status", { status: "FAILED" }, { timestamp: year2100 })).body.outcome).toBe("updated");
    const afterFirst = Date.now();
    const frozen = await one<any>(sql`select status::text, status_updated_at from channels where id = ${channel.id}`);
    expect(frozen.status).toBe("FAILED");
    expect(new Date(frozen.status_updated_at).getTime()).toBeLessThanOrEqual(afterFirst);
    // A later event, correctly dated, still applies.
    expect((await postWaha(channel, "session.status", { status: "WORKING" }, { timestamp: Date.now() })).body.outcome).toBe("updated");
    expect((await one<any>(sql`select status::text from channels where id = ${channel.id}`)).status).toBe("WORKING");
  });

  it("a message dated in the future is stored as received now, and its session can still expire", async () => {
    const channel = await t.channel();
    const res = await postWaha(channel, "message", inboundText(`${phone()}@c.us`, "from the future", { timestamp: year2100 / 1000 }));
    const afterwards = Date.now();
    expect(res.body.outcome).toBe("created");
    const m = await one<any>(
      sql`select m.sent_at, s.last_activity_at from messages m join sessions s on s.id = m.session_id where m.id = ${res.body.messageId}`,
    );
    expect(new Date(m.sent_at).getTime()).toBeLessThanOrEqual(afterwards);
    expect(new Date(m.last_activity_at).getTime()).toBeLessThanOrEqual(afterwards);
  });
});

describe("WAHA webhook: a sender that identifies nobody", () => {
  let t: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });

  it.each(["@c.us", "abc@c.us", "+@c.us", "@lid", " @lid", "@g.us", "@s.whatsapp.net"])(
    "%s is rejected, not turned into a contact",
    async (from) => {
      const id = eventId();
      const res = await postWaha(channel, "message", inboundText(from, "hi"), { id });
      expect(res).toMatchObject({ status: 200, body: { outcome: "rejected" } });
      expect(res.body.reason).toContain("identifies no WhatsApp user or group");
      expect(await rows(sql`select outcome from processed_webhook_events where dedupe_key = ${`${channel.id}:${id}`}`)).toEqual([
        { outcome: "rejected" },
      ]);
    },
  );

  it("two such senders do not merge into one contact, nor do two @lid senders whose engine data has an empty phone", async () => {
    await postWaha(channel, "message", inboundText("@c.us", "I am one person"));
    await postWaha(channel, "message", inboundText("xyz@c.us", "I am someone else"));
    const lid = () => `${Math.floor(1e13 + Math.random() * 8e13)}@lid`;
    const a = await postWaha(channel, "message", inboundText(lid(), "a", { _data: { key: { senderPn: "@s.whatsapp.net" } } }));
    const b = await postWaha(channel, "message", inboundText(lid(), "b", { _data: { key: { senderPn: "@s.whatsapp.net" } } }));
    expect([a.body.outcome, b.body.outcome]).toEqual(["created", "created"]);
    expect(a.body.contactId).not.toBe(b.body.contactId);
    expect(
      await rows(
        sql`select kind, value from contact_identifiers where project_id = ${t.project.id} and value in ('', '@c.us', '@lid', '@g.us')`,
      ),
    ).toEqual([]);
  });
});

describe("Cron: parked acks are kept 7 days", () => {
  it("drops acks parked for a message that never got its WhatsApp id after 7 days, keeps recent ones", async () => {
    const t = await createActors(db);
    const channel = await t.channel();
    const old = `true_x@c.us_OLD${Date.now()}`;
    const recent = `true_x@c.us_RECENT${Date.now()}`;
    expect((await postWaha(channel, "message.ack", { id: old, fromMe: true, ack: 2 })).body.outcome).toBe("parked");
    expect((await postWaha(channel, "message.ack", { id: recent, fromMe: true, ack: 2 })).body.outcome).toBe("parked");
    await db.query.execute(
      sql`update pending_message_acks set created_at = now() - interval '7 days 1 minute' where channel_message_id = ${old}`,
    );
    const ctx = createExecutionContext();
    await runScheduled(env, ctx);
    await waitOnExecutionContext(ctx);
    const left = await rows<{ channel_message_id: string }>(
      sql`select channel_message_id from pending_message_acks where channel_id = ${channel.id} order by channel_message_id`,
    );
    expect(left.map((r) => r.channel_message_id)).toEqual([recent]);
  });
});
