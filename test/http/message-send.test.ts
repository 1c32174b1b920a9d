import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/lib/logger";
import type { OutboxMessage } from "../../src/outbox/events";
import { publishOutbox } from "../../src/outbox/publisher";
import type { Principal } from "../../src/services/auth/principal";
import { createServiceContext } from "../../src/services/context";
import { sendMessage } from "../../src/services/messages/send";
import { sendMessageVerb } from "../../src/services/messages/verbs";
import { callVerb } from "../../src/services/verbs/define";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

/**
 * The send verb (REST, MCP) and the AI reply queue a message in two database round trips: one batch of reads for
 * every check, one batch that writes (ventros_queue_outbound) and reads the row back. What it commits is published
 * from memory.
 */
const db = testDatabase();
const log = createLogger({ test: true }, "error");
type Actors = Awaited<ReturnType<typeof createActors>>;

/** A context on its own database handle, so its round trips are its own. */
const contextFor = (t: Actors, principal: Partial<Principal> = {}) =>
  createServiceContext(testDatabase(), { ...t.ctx.principal, ...principal }, log);

const outboxFor = async (messageId: string) =>
  (
    await db.query.execute<{ id: string; topic: string; payload: Record<string, unknown> }>(
      sql`select id::text, topic, payload from outbox where payload->>'messageId' = ${messageId} order by id`,
    )
  ).rows;

/** A queue that records what it was handed. */
const fakeQueue = () => {
  const sent: OutboxMessage[] = [];
  const queue = {
    sendBatch: async (batch: Iterable<MessageSendRequest<OutboxMessage>>) => {
      for (const m of batch) sent.push(m.body);
    },
  } as unknown as Queue<OutboxMessage>;
  return { queue, sent };
};

describe("sending a message", () => {
  let t: Actors;
  let b: Actors;
  beforeAll(async () => {
    [t, b] = await Promise.all([createActors(db), createActors(db)]);
  });
  const newContact = async (actors: Actors, name: string) =>
    (await api("/api/v1/contacts", { token: actors.keys.admin, body: { name } })).body.id as string;

  it("costs two round trips, whatever it checks, and publishes what it wrote from memory", async () => {
    const channel = await t.channel();
    const contactId = await newContact(t, "Two trips");
    const agent = (await api("/api/v1/agents", { method: "POST", token: t.keys.admin, body: { kind: "human", name: "Ana" } })).body;

    const ctx = contextFor(t);
    const before = ctx.db.roundTrips;
    const first = (await callVerb(sendMessageVerb, ctx, { contactId, channelId: channel.id, text: "oi" })) as any;
    expect(ctx.db.roundTrips - before).toBe(2);
    expect(ctx.db.usedPool).toBe(false);
    expect(first).toMatchObject({ status: "queued", direction: "outbound", fromMe: true, body: "oi", channelId: channel.id });
    const events = ctx.outbox.takePending();
    // In the order they were written: the conversation is announced before its first message.
    expect(events.map((e) => e.row?.topic)).toEqual(["session.created", "message.created", "message.queued"]);
    // Known rows are exactly what committed: the publisher sends them as they are, without reading them back.
    const committed = await db.query.execute<{ id: string; topic: string; payload: Record<string, unknown> }>(
      sql`select id::text, topic, payload from outbox where id in ${sql.raw(`(${events.map((e) => `'${e.id}'`).join(",")})`)}`,
    );
    for (const e of events) expect(e.row?.payload, e.row?.topic).toEqual(committed.rows.find((r) => r.id === e.id)?.payload);
    expect((await outboxFor(first.id)).map((r) => r.payload.sessionId)).toEqual([first.sessionId, first.sessionId]);

    // Default channel (the last conversation's), an agent and a replied message: still one batch of reads.
    const ctx2 = contextFor(t, { role: "user" });
    const before2 = ctx2.db.roundTrips;
    const reply = (await callVerb(sendMessageVerb, ctx2, {
      contactId,
      text: "de novo",
      agentId: agent.id,
      replyToMessageId: first.id,
    })) as any;
    expect(ctx2.db.roundTrips - before2).toBe(2);
    expect(reply).toMatchObject({ channelId: channel.id, sessionId: first.sessionId, sentByAgentId: agent.id, replyToMessageId: first.id });
    const { rows } = await db.query.execute<Record<string, any>>(
      sql`select message_count, outbound_count, agent_id::text as agent_id from sessions where id = ${first.sessionId}`,
    );
    expect(rows[0]).toMatchObject({ message_count: 2, outbound_count: 2, agent_id: agent.id });
  });

  it("a repeated call with the same id returns the first message, unchanged, and writes and publishes nothing", async () => {
    const channel = await t.channel();
    const contactId = await newContact(t, "Idempotent");
    const id = crypto.randomUUID();
    const ctx = contextFor(t);
    const first = await sendMessage(ctx, { contactId, channelId: channel.id, contentType: "text", text: "uma vez" }, { id });
    expect(ctx.outbox.takePending()).toHaveLength(3);

    const again = contextFor(t);
    const before = again.db.roundTrips;
    const second = await sendMessage(again, { contactId, channelId: channel.id, contentType: "text", text: "outra" }, { id });
    expect(again.db.roundTrips - before).toBe(2);
    expect(second).toEqual(first);
    expect(again.outbox.takePending()).toEqual([]);
    expect((await outboxFor(id)).map((r) => r.topic).sort()).toEqual(["message.created", "message.queued"]);
    const { rows } = await db.query.execute<{ message_count: number }>(
      sql`select message_count from sessions where id = ${first.sessionId}`,
    );
    expect(rows[0]!.message_count).toBe(1);
  });

  it("after the idle timeout: expires the conversation, opens a new one and publishes session.ended and session.created", async () => {
    const channel = await t.channel();
    const contactId = await newContact(t, "Idle");
    const first = (await callVerb(sendMessageVerb, contextFor(t), { contactId, channelId: channel.id, text: "ontem" })) as any;
    await db.query.execute(sql`update sessions set last_activity_at = now() - interval '3 hours' where id = ${first.sessionId}`);

    const ctx = contextFor(t);
    const second = (await callVerb(sendMessageVerb, ctx, { contactId, channelId: channel.id, text: "hoje" })) as any;
    expect(second.sessionId).not.toBe(first.sessionId);
    const events = ctx.outbox.takePending();
    expect(events.every((e) => e.row)).toBe(true);
    const byTopic = Object.fromEntries(events.map((e) => [e.row!.topic, e.row!.payload]));
    expect(byTopic["session.ended"]).toMatchObject({ sessionId: first.sessionId, status: "expired", reason: "inactivity" });
    expect(byTopic["session.created"]).toEqual({ sessionId: second.sessionId, contactId, channelId: channel.id });
    expect(byTopic["message.queued"]).toMatchObject({ messageId: second.id, sessionId: second.sessionId });

    const publishDb = testDatabase();
    const { queue, sent } = fakeQueue();
    expect(await publishOutbox(publishDb, queue, log, { events })).toEqual({ published: 4, failed: 0 });
    expect(publishDb.roundTrips).toBe(1); // the mark: nothing read back
    expect(sent.map((m) => m.topic)).toEqual(["session.ended", "session.created", "message.created", "message.queued"]);
    const { rows } = await db.query.execute<{ status: string }>(sql`select status::text from sessions where id = ${first.sessionId}`);
    expect(rows[0]!.status).toBe("expired");
  });

  it("answers 404 for another tenant's contact, channel, agent or message, in that order, and writes nothing", async () => {
    const [channel, theirChannel] = await Promise.all([t.channel(), b.channel()]);
    const [contactId, theirContact] = await Promise.all([newContact(t, "Mine"), newContact(b, "Theirs")]);
    const theirAgent = (await api("/api/v1/agents", { method: "POST", token: b.keys.admin, body: { kind: "human", name: "B" } })).body;
    const theirMessage = (await callVerb(sendMessageVerb, contextFor(b), {
      contactId: theirContact,
      channelId: theirChannel.id,
      text: "b",
    })) as any;

    const cases: [Record<string, unknown>, string][] = [
      [{ contactId: theirContact, channelId: theirChannel.id }, "Contact"],
      [{ contactId: theirContact, channelId: channel.id }, "Contact"],
      [{ contactId, channelId: theirChannel.id, agentId: theirAgent.id }, "Channel"],
      [{ contactId, channelId: channel.id, agentId: theirAgent.id, replyToMessageId: theirMessage.id }, "Agent"],
      [{ contactId, channelId: channel.id, replyToMessageId: theirMessage.id }, "Message"],
    ];
    for (const [input, resource] of cases) {
      const ctx = contextFor(t);
      const before = ctx.db.roundTrips;
      await expect(callVerb(sendMessageVerb, ctx, { ...input, text: "x" }), resource).rejects.toMatchObject({
        code: "not_found",
        details: { resource },
      });
      expect(ctx.db.roundTrips - before, resource).toBe(1);
      expect(ctx.outbox.takePending(), resource).toEqual([]);
    }
    const { rows } = await db.query.execute<{ n: number }>(sql`select count(*)::int as n from messages where contact_id = ${contactId}`);
    expect(rows[0]!.n).toBe(0);
  });

  it("a contact assigned to someone else is 403 for the user role before anything else is checked", async () => {
    const contactId = await newContact(t, "Assigned");
    const agent = (await api("/api/v1/agents", { method: "POST", token: t.keys.admin, body: { kind: "human", name: "Bia" } })).body;
    await api(`/api/v1/contacts/${contactId}`, { method: "PATCH", token: t.keys.admin, body: { assignedAgentId: agent.id } });
    const input = { contactId, channelId: crypto.randomUUID(), text: "x" };
    await expect(callVerb(sendMessageVerb, contextFor(t, { role: "user" }), input)).rejects.toMatchObject({ code: "forbidden" });
    // Other roles work any contact: the unknown channel is what they hear about.
    await expect(callVerb(sendMessageVerb, contextFor(t, { role: "manager" }), input)).rejects.toMatchObject({
      code: "not_found",
      details: { resource: "Channel" },
    });
  });
});
