import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { OutboxMessage } from "../../src/outbox/events";
import { createServiceContext } from "../../src/services/context";
import { sendMessageVerb } from "../../src/services/messages/verbs";
import { callVerb } from "../../src/services/verbs/define";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { configureSandbox, sentTo, wahaUrl } from "../support/sandbox";
import { postWaha } from "../support/waha";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const message = async (id: string) => (await db.query.execute<any>(sql`select * from messages where id = ${id}`)).rows[0];

/** Runs the queue consumer on one outbox event, as the Queues runtime would deliver it. */
async function consume(msg: { id: string; sessionId: string }, t: Actors, attempts: number) {
  const [row] = (
    await db.query.execute<any>(sql`select * from outbox where topic = 'message.queued' and payload->>'messageId' = ${msg.id}`)
  ).rows;
  const body: OutboxMessage = {
    id: row.id,
    topic: "message.queued",
    tenantId: t.tenant.id,
    projectId: t.project.id,
    payload: row.payload,
    createdAt: new Date().toISOString(),
  };
  const batch = createMessageBatch<OutboxMessage>("ventros-events", [
    { id: `q-${row.id}-${attempts}`, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

/**
 * Queues a message through the send verb without handing its event to the live queue: the outbox row is marked
 * published, so only `consume` below delivers it — the live consumer (or another file's outbox sweep) cannot race
 * these tests, however slow the machine.
 */
async function queueOffline(t: Actors, input: Record<string, unknown>) {
  const ctx = createServiceContext(db, { ...t.ctx.principal, role: "user" }, t.ctx.log);
  const message = (await callVerb(sendMessageVerb, ctx, input)) as { id: string; sessionId: string };
  const ids = ctx.outbox.takeWritten();
  await db.query.execute(sql`update outbox set published_at = now() where id in ${sql.raw(`(${ids.map((id) => `'${id}'`).join(",")})`)}`);
  return { status: 202, body: message };
}

describe("outbound WhatsApp through WAHA", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  async function setup(engine: string, extra: Record<string, unknown> = {}) {
    const session = `s-${crypto.randomUUID().slice(0, 8)}`;
    const channel = await t.channel({ wahaSession: session, baseUrl: wahaUrl(), apiKey: "waha-secret-key" });
    await configureSandbox({ name: session, apiKey: "waha-secret-key", engine, ...extra });
    const phone = `55119${Math.floor(1e7 + Math.random() * 8e7)}`;
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Dest", phone } })).body;
    return { session, channel, contact, phone };
  }

  it("delivers a queued message end to end through the real queue (WEBJS answer)", async () => {
    const { session, channel, contact, phone } = await setup("WEBJS");
    const queued = await api("/api/v1/messages", {
      token: t.keys.user,
      body: { contactId: contact.id, channelId: channel.id, text: "Seu pedido saiu!" },
    });
    expect(queued.status).toBe(202);
    await expect.poll(async () => (await message(queued.body.id)).status, { timeout: 15_000, interval: 200 }).toBe("sent");
    const sent = await sentTo(session);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      endpoint: "sendText",
      chatId: `${phone}@c.us`,
      body: { session, chatId: `${phone}@c.us`, text: "Seu pedido saiu!" },
    });
    const row = await message(queued.body.id);
    expect(row.channel_message_id).toBe(sent[0]!.messageId);
    // The WhatsApp ack for that id now finds the message.
    await postWaha(channel, "message.ack", { id: row.channel_message_id, from: `${phone}@c.us`, fromMe: true, ack: 3, ackName: "READ" });
    expect((await message(queued.body.id)).status).toBe("read");
  });

  it("parses NOWEB and empty answers, sends media with the right endpoint", async () => {
    const noweb = await setup("NOWEB");
    const img = await queueOffline(t, {
      contactId: noweb.contact.id,
      channelId: noweb.channel.id,
      contentType: "image",
      text: "catálogo",
      media: { url: "https://cdn.example.test/cat.jpg", mimetype: "image/jpeg", filename: "cat.jpg" },
    });
    expect((await consume(img.body, t, 1)).explicitAcks).toHaveLength(1);
    const sent = (await sentTo(noweb.session))[0]!;
    expect(sent.endpoint).toBe("sendImage");
    expect(sent.body).toMatchObject({
      caption: "catálogo",
      file: { url: "https://cdn.example.test/cat.jpg", mimetype: "image/jpeg", filename: "cat.jpg" },
    });
    expect((await message(img.body.id)).channel_message_id).toBe(sent.messageId);

    const empty = await setup("WEBJS", { emptyResponse: true });
    const voice = await queueOffline(t, {
      contactId: empty.contact.id,
      channelId: empty.channel.id,
      contentType: "voice",
      media: { url: "https://cdn.example.test/v.ogg", mimetype: "audio/ogg" },
    });
    await consume(voice.body, t, 1);
    expect((await sentTo(empty.session))[0]!.endpoint).toBe("sendVoice");
    expect(await message(voice.body.id)).toMatchObject({ status: "sent", channel_message_id: null });
  });

  it("retries transient failures with backoff and never sends twice", async () => {
    const { session, channel, contact } = await setup("WEBJS", { failNext: 2 });
    const queued = await queueOffline(t, { contactId: contact.id, channelId: channel.id, text: "retry me" });
    const r1 = await consume(queued.body, t, 1);
    expect(r1.retryMessages).toHaveLength(1);
    expect(await message(queued.body.id)).toMatchObject({ status: "queued" });
    expect((await message(queued.body.id)).error).toMatch(/500/);
    // A 5xx may have sent it: "not in the chat" only counts once the grace since that attempt has passed (moved back
    // here rather than waited for).
    const pastGrace = sql`update messages set metadata = metadata || '{"ambiguousSince": "2000-01-01T00:00:00Z"}'::jsonb
      where id = ${queued.body.id}`;
    await db.query.execute(pastGrace);
    const r2 = await consume(queued.body, t, 2);
    expect(r2.retryMessages).toHaveLength(1);
    await db.query.execute(pastGrace);
    const r3 = await consume(queued.body, t, 3);
    expect(r3.explicitAcks).toHaveLength(1);
    expect((await message(queued.body.id)).status).toBe("sent");
    // Redelivery of the same queue message (at least once) does not send again.
    const r4 = await consume(queued.body, t, 4);
    expect(r4.explicitAcks).toHaveLength(1);
    expect(await sentTo(session)).toHaveLength(1);
  });

  it("fails at once on a permanent error, and after the last attempt on transient ones", async () => {
    const wrongKey = await setup("WEBJS");
    await configureSandbox({ name: wrongKey.session, apiKey: "a-different-key" });
    const q1 = await queueOffline(t, { contactId: wrongKey.contact.id, channelId: wrongKey.channel.id, text: "x" });
    await consume(q1.body, t, 1);
    const failed = await message(q1.body.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/401/);

    const flaky = await setup("WEBJS", { failNext: 100 });
    const q2 = await queueOffline(t, { contactId: flaky.contact.id, channelId: flaky.channel.id, text: "y" });
    // The last attempt is counted by the claims (metadata.sendAttempts), not by the queue's delivery count.
    await db.query.execute(sql`update messages set metadata = metadata || '{"sendAttempts": 5}'::jsonb where id = ${q2.body.id}`);
    await consume(q2.body, t, 1);
    expect(await message(q2.body.id)).toMatchObject({ status: "failed" });
    const { rows } = await db.query.execute<{ topic: string }>(
      sql`select topic from outbox where payload->>'messageId' = ${q2.body.id} order by id`,
    );
    expect(rows.map((r) => r.topic)).toContain("message.failed");
  });

  it("applies an ack that arrived before the send finished", async () => {
    const { session, channel, contact, phone } = await setup("WEBJS");
    const waId = `EARLY${Date.now()}`;
    await configureSandbox({ name: session, nextMessageId: waId });
    const full = `true_${phone}@c.us_${waId}`;
    expect(
      (await postWaha(channel, "message.ack", { id: full, from: `${phone}@c.us`, fromMe: true, ack: 2, ackName: "DEVICE" })).body.outcome,
    ).toBe("parked");
    const queued = await queueOffline(t, { contactId: contact.id, channelId: channel.id, text: "fast ack" });
    await consume(queued.body, t, 1);
    expect(await message(queued.body.id)).toMatchObject({ status: "delivered", channel_message_id: full });
  });
});
