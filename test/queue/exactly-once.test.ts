import { createExecutionContext, createMessageBatch, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/env";
import worker from "../../src/index";
import { runScheduled } from "../../src/jobs/scheduled";
import type { OutboxMessage } from "../../src/outbox/events";
import { createServiceContext } from "../../src/services/context";
import { deliverMessage, reconcileStaleClaims, requeueOrphanedSends } from "../../src/services/messages/deliver";
import { sendMessageVerb } from "../../src/services/messages/verbs";
import { callVerb } from "../../src/services/verbs/define";
import { faultyWorker } from "../resilience/support";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { configureSandbox, sentTo, wahaUrl } from "../support/sandbox";

/**
 * Exactly once under faults. WAHA (the sandbox) and the database (the Neon proxy stand-in) fail on demand — an
 * answer lost after WhatsApp got the message, a dropped connection, a 5xx after sending, a refusal, a failed
 * query in the middle of a send, a Worker that died holding the claim — and every test ends with the sandbox having
 * recorded the message exactly once, or the message visibly `failed` with a reason ("delivery unknown: …" when it
 * may have been sent): never twice, never `queued` without an owner. The consumer is called by the tests on events
 * marked published, so the live queue cannot race them; nothing waits for time to pass (a hung WAHA answer ends at
 * the client timeout, WAHA_TIMEOUT_MS, a binding).
 */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const message = async (id: string) => (await db.query.execute<any>(sql`select * from messages where id = ${id}`)).rows[0];
const SQL_LEAK = /select |insert |update |delete |from "|params|\$1|Failed query|injected/i;

async function outboxRow(messageId: string, topic = "message.queued") {
  const { rows } = await db.query.execute<any>(
    sql`select * from outbox where topic = ${topic} and payload->>'messageId' = ${messageId} order by id desc limit 1`,
  );
  return rows[0];
}

const bodyOf = (row: any, t: Actors): OutboxMessage & { tenantId: string; projectId: string } => ({
  id: row.id,
  topic: row.topic,
  tenantId: t.tenant.id,
  projectId: t.project.id,
  payload: row.payload,
  createdAt: new Date().toISOString(),
});

/** Runs the queue consumer on the message's (latest) `message.queued` event, as the Queues runtime would. */
async function consume(messageId: string, t: Actors, attempts: number, queue = "ventros-events") {
  const row = await outboxRow(messageId);
  const batch = createMessageBatch<OutboxMessage>(queue, [
    { id: `q-${row.id}-${attempts}`, timestamp: new Date(), attempts, body: bodyOf(row, t) },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  const result = await getQueueResult(batch, ctx);
  return { acked: result.explicitAcks.length === 1, retried: result.retryMessages.length === 1 };
}

/**
 * `consume`, through a batch that records the retry's delay (the test helpers' batches do not): the Queues
 * runtime's message interface, nothing of ours replaced.
 */
async function consumeRecordingDelay(messageId: string, t: Actors, attempts: number) {
  const row = await outboxRow(messageId);
  const seen: { retried: boolean; acked: boolean; delaySeconds?: number } = { retried: false, acked: false };
  const msg = {
    id: `q-${row.id}-${attempts}`,
    timestamp: new Date(),
    attempts,
    body: bodyOf(row, t),
    ack: () => {
      seen.acked = true;
    },
    retry: (o?: QueueRetryOptions) => {
      seen.retried = true;
      seen.delaySeconds = o?.delaySeconds;
    },
  };
  const batch = { queue: "ventros-events", messages: [msg], ackAll: () => {}, retryAll: () => {} };
  const ctx = createExecutionContext();
  await worker.queue(batch as unknown as MessageBatch<OutboxMessage>, env, ctx);
  await waitOnExecutionContext(ctx);
  return seen;
}

/** Marks every unpublished event of these messages published: only this file's `consume` delivers them. */
async function holdEvents(...messageIds: string[]) {
  for (const id of messageIds) {
    await db.query.execute(sql`update outbox set published_at = now() where published_at is null and payload->>'messageId' = ${id}`);
  }
}

async function queueOffline(t: Actors, input: Record<string, unknown>) {
  const ctx = createServiceContext(db, { ...t.ctx.principal, role: "user" }, t.ctx.log);
  const msg = (await callVerb(sendMessageVerb, ctx, input)) as { id: string };
  ctx.outbox.takeWritten();
  await holdEvents(msg.id);
  return msg.id;
}

/** Never `queued` without an owner, and a readable, internals-free reason when it is not sent. */
async function expectSettledOrOwned(id: string) {
  const row = await message(id);
  if (row.status === "queued") expect(row.metadata.claimId, "queued must have an owner or a live retry").toBeUndefined();
  expect(row.error ?? "").not.toMatch(SQL_LEAK);
  return row;
}

describe("outbound exactly once under faults", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  async function setup(extra: Record<string, unknown> = {}) {
    const session = `x-${crypto.randomUUID().slice(0, 8)}`;
    const channel = await t.channel({ wahaSession: session, baseUrl: wahaUrl(), apiKey: "waha-secret-key" });
    await configureSandbox({ name: session, apiKey: "waha-secret-key", engine: "WEBJS", ...extra });
    const phone = `55119${Math.floor(1e7 + Math.random() * 8e7)}`;
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Dest", phone } })).body;
    const send = (text: string) => queueOffline(t, { contactId: contact.id, channelId: channel.id, text });
    return { session, channel, contact, phone, send };
  }

  for (const fault of ["accept-hang", "accept-drop", "accept-500"] as const) {
    it(`WAHA sent it but the answer was lost (${fault}): the retry finds it in the chat and does not send again`, async () => {
      const { session, send } = await setup({ faults: [fault] });
      const id = await send(`answer lost: ${fault}`);
      expect(await consume(id, t, 1)).toMatchObject({ retried: true });
      const pending = await expectSettledOrOwned(id);
      expect(pending).toMatchObject({ status: "queued" });
      expect(pending.metadata.ambiguousSince).toBeTruthy();
      expect(await sentTo(session)).toHaveLength(1);

      expect(await consume(id, t, 2)).toMatchObject({ acked: true });
      const sent = await sentTo(session);
      expect(sent).toHaveLength(1);
      expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: sent[0]!.messageId, error: null });
      // Redelivered again: acknowledged, nothing sent.
      expect(await consume(id, t, 3)).toMatchObject({ acked: true });
      expect(await sentTo(session)).toHaveLength(1);
    });
  }

  it("a connection dropped before WAHA accepted: the retry checks the chat, finds nothing, and sends once", async () => {
    const { session, send } = await setup({ faults: ["refuse"] });
    const id = await send("refused first");
    expect(await consume(id, t, 1)).toMatchObject({ retried: true });
    expect(await sentTo(session)).toHaveLength(0);
    // Right after the attempt, "not in the chat" proves nothing: retried again without sending.
    expect(await consume(id, t, 2)).toMatchObject({ retried: true });
    expect(await sentTo(session)).toHaveLength(0);
    // Past the grace since the attempt (moved back rather than waited for), it does.
    await db.query.execute(
      sql`update messages set metadata = metadata || '{"ambiguousSince": "2000-01-01T00:00:00Z"}'::jsonb where id = ${id}`,
    );
    expect(await consume(id, t, 3)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect((await message(id)).status).toBe("sent");
  });

  it("two identical replies in a row: reconciliation adopts the lost one, not the earlier one", async () => {
    const { session, send } = await setup();
    const first = await send("ok");
    await consume(first, t, 1);
    await configureSandbox({ name: session, faults: ["accept-drop"] });
    const second = await send("ok");
    expect(await consume(second, t, 1)).toMatchObject({ retried: true });
    expect(await consume(second, t, 2)).toMatchObject({ acked: true });
    const sent = await sentTo(session);
    expect(sent).toHaveLength(2);
    expect((await message(first)).channel_message_id).toBe(sent[0]!.messageId);
    expect((await message(second)).channel_message_id).toBe(sent[1]!.messageId);
  });

  const systemContext = () =>
    createServiceContext(
      db,
      { tenantId: t.tenant.id, projectId: t.project.id, role: "admin", actor: { type: "system", id: "test" } },
      t.ctx.log,
    );
  const pastGrace = (id: string) =>
    db.query.execute(sql`update messages set metadata = metadata || '{"ambiguousSince": "2000-01-01T00:00:00Z"}'::jsonb where id = ${id}`);

  it("identical replies: one never reached WAHA, the other is accepted but not yet recorded — neither takes the other's id", async () => {
    const { session, send } = await setup({ faults: ["refuse"] });
    const a = await send("ok!");
    expect(await consume(a, t, 1)).toMatchObject({ retried: true });
    await pastGrace(a);
    const b = await send("ok!");
    let during: Awaited<ReturnType<typeof consume>> | undefined;
    // B reached WhatsApp; while its answer is being recorded, A reconciles and sees B's message, unattributed.
    const r = await deliverMessage(systemContext(), b, 1, {
      wahaTimeoutMs: 2000,
      afterSend: async () => {
        during = await consume(a, t, 2);
      },
    });
    expect(during).toMatchObject({ retried: true });
    expect(r.outcome).toBe("sent");
    const [first] = await sentTo(session);
    expect(await message(b)).toMatchObject({ status: "sent", channel_message_id: first!.messageId });
    expect(await expectSettledOrOwned(a)).toMatchObject({ status: "queued", channel_message_id: null });
    // Once B holds its id, A's listed message is no one's: A was never sent, and past the grace it is sent once.
    expect(await consume(a, t, 3)).toMatchObject({ acked: true });
    const sent = await sentTo(session);
    expect(sent).toHaveLength(2);
    expect(await message(a)).toMatchObject({ status: "sent", channel_message_id: sent[1]!.messageId });
  });

  it("identical replies: one sent without a WhatsApp id, the other ambiguous — not adopted, delivery unknown at the last", async () => {
    const { session, send } = await setup({ faults: ["refuse"] });
    const a = await send("sim");
    expect(await consume(a, t, 1)).toMatchObject({ retried: true });
    await pastGrace(a);
    const b = await send("sim");
    expect(await consume(b, t, 1)).toMatchObject({ acked: true });
    // An engine that answered without an id: B is sent, its message in the chat unattributed.
    await db.query.execute(sql`update messages set channel_message_id = null where id = ${b}`);
    expect(await consume(a, t, 2)).toMatchObject({ retried: true });
    expect(await expectSettledOrOwned(a)).toMatchObject({ status: "queued" });
    await db.query.execute(sql`update messages set metadata = metadata || '{"sendAttempts": 5}'::jsonb where id = ${a}`);
    expect(await consume(a, t, 3)).toMatchObject({ acked: true });
    const row = await expectSettledOrOwned(a);
    expect(row).toMatchObject({ status: "failed", channel_message_id: null });
    expect(row.error).toMatch(/^delivery unknown: .*identical reply/);
    expect(await sentTo(session)).toHaveLength(1);
  });

  it("WAHA's id for our send is already held by another message: recorded as sent without it, never retried", async () => {
    const { session, send } = await setup();
    const a = await send("first");
    expect(await consume(a, t, 1)).toMatchObject({ acked: true });
    const b = await send("second");
    const r = await deliverMessage(systemContext(), b, 1, {
      wahaTimeoutMs: 2000,
      afterSend: async () => {
        const sent = await sentTo(session);
        await db.query.execute(sql`update messages set channel_message_id = ${sent[1]!.messageId} where id = ${a}`);
      },
    });
    expect(r.outcome).toBe("sent");
    const sent = await sentTo(session);
    expect(sent).toHaveLength(2);
    const row = await message(b);
    expect(row).toMatchObject({ status: "sent", channel_message_id: null, error: null });
    expect(row.metadata.sentAsHeldElsewhere).toBe(sent[1]!.messageId);
    expect(await consume(b, t, 2)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(2);
  });

  it("a busy chat: the lost send is found beyond the first page of the listing", async () => {
    const { session, send, phone } = await setup({ faults: ["accept-drop"] });
    const id = await send("lost in a busy chat");
    expect(await consume(id, t, 1)).toMatchObject({ retried: true });
    // 150 more messages from this account reach the chat before the retry.
    for (let i = 0; i < 150; i++) {
      await fetch(`${wahaUrl()}/api/sendText`, {
        method: "POST",
        headers: { "content-type": "application/json", "X-Api-Key": "waha-secret-key" },
        body: JSON.stringify({ session, chatId: `${phone}@c.us`, text: `other ${i}` }),
      }).then((r) => r.body?.cancel());
    }
    expect(await consume(id, t, 2)).toMatchObject({ acked: true });
    const mine = (await sentTo(session)).filter((m) => m.body.text === "lost in a busy chat");
    expect(mine).toHaveLength(1);
    expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: mine[0]!.messageId });
  });

  it("WAHA cannot be read either: retried later, never resent; after the last attempt the message says delivery unknown", async () => {
    const { session, send } = await setup({ faults: ["accept-drop"], listFailNext: 1 });
    const id = await send("cannot confirm, then confirmed");
    expect(await consume(id, t, 1)).toMatchObject({ retried: true });
    expect(await consume(id, t, 2)).toMatchObject({ retried: true });
    expect(await expectSettledOrOwned(id)).toMatchObject({ status: "queued" });
    expect(await sentTo(session)).toHaveLength(1);
    expect(await consume(id, t, 3)).toMatchObject({ acked: true });
    expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: (await sentTo(session))[0]!.messageId });

    const other = await setup({ faults: ["accept-hang"], listFailNext: 100 });
    const unknown = await other.send("never confirmed");
    await db.query.execute(sql`update messages set metadata = metadata || '{"sendAttempts": 4}'::jsonb where id = ${unknown}`);
    expect(await consume(unknown, t, 1)).toMatchObject({ retried: true });
    expect(await consume(unknown, t, 1)).toMatchObject({ acked: true });
    const row = await expectSettledOrOwned(unknown);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/^delivery unknown: /);
    expect(await sentTo(other.session)).toHaveLength(1);
    const failed = await outboxRow(unknown, "message.failed");
    expect(failed.payload.error).toMatch(/^delivery unknown: /);
  });

  it("a definite rejection fails at once with a short reason and nothing sent", async () => {
    const { session, send } = await setup({ faults: ["400"] });
    const id = await send("rejected");
    expect(await consume(id, t, 1)).toMatchObject({ acked: true });
    expect(await message(id)).toMatchObject({ status: "failed", error: "WAHA answered 400" });
    expect(await sentTo(session)).toHaveLength(0);
  });

  it("one failed query while loading the channel: the claim is released and retried — no SQL in the error", async () => {
    const { session, send } = await setup();
    const id = await send("db hiccup");
    const w = faultyWorker({ timeoutMs: 10_000 });
    await injectQueryFailure(w.scope, 'from "channels"');
    expect(await w.consume(bodyOf(await outboxRow(id), t))).toMatchObject({ retried: true, acked: false });
    const row = await expectSettledOrOwned(id);
    expect(row.status).toBe("queued");
    expect(row.metadata.sendingAt).toBeUndefined();
    expect(await sentTo(session)).toHaveLength(0);
    expect(await consume(id, t, 2)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect((await message(id)).status).toBe("sent");
  });

  it("the write after a successful send fails: never marked failed, recorded as sent on the retry without sending again", async () => {
    const { session, send } = await setup();
    const id = await send("db fails after WAHA");
    const w = faultyWorker({ timeoutMs: 10_000 });
    await injectQueryFailure(w.scope, "status = 'sent'");
    expect(await w.consume(bodyOf(await outboxRow(id), t))).toMatchObject({ retried: true });
    const row = await expectSettledOrOwned(id);
    expect(row.status).toBe("queued");
    expect(await sentTo(session)).toHaveLength(1);
    expect(await consume(id, t, 2)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: (await sentTo(session))[0]!.messageId });
  });

  it("a Worker killed after WAHA accepted: redeliveries retry while the lease lives; the sweep adopts the sent message", async () => {
    const { session, send, phone } = await setup();
    const id = await send("killed mid-send");
    // What the dead Worker left: its claim on the message, and the message in WhatsApp.
    await db.query.execute(
      sql`update messages set metadata = metadata || jsonb_build_object('sendingAt', now(), 'claimId', 'dead-worker') where id = ${id}`,
    );
    await fetch(`${wahaUrl()}/api/sendText`, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Api-Key": "waha-secret-key" },
      body: JSON.stringify({ session, chatId: `${phone}@c.us`, text: "killed mid-send" }),
    }).then((r) => r.body?.cancel());
    // The queue redelivers: the claim is alive, so it is retried — never acknowledged while still queued.
    expect(await consume(id, t, 2)).toMatchObject({ retried: true, acked: false });
    // The lease runs out (moved back, rather than waited for); the cron reconciles it with WAHA.
    await db.query.execute(sql`update messages set metadata = metadata || '{"sendingAt": "2000-01-01T00:00:00Z"}'::jsonb where id = ${id}`);
    const ctx = createExecutionContext();
    await runScheduled(env, ctx);
    await waitOnExecutionContext(ctx);
    const sent = await sentTo(session);
    expect(sent).toHaveLength(1);
    expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: sent[0]!.messageId });
    expect(await consume(id, t, 3)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
  });

  it("a Worker killed before sending: the sweep finds nothing in the chat and re-queues it; it is sent once", async () => {
    const { session, send } = await setup();
    const id = await send("killed before send");
    await db.query.execute(
      sql`update messages set metadata = metadata || ${JSON.stringify({ sendingAt: "2000-01-01T00:00:00Z", claimId: "dead-worker" })}::jsonb
          where id = ${id}`,
    );
    const before = (await outboxRow(id)).id;
    const counts = await reconcileStaleClaims(db, (scope) =>
      createServiceContext(db, { ...scope, role: "admin", actor: { type: "system", id: "test" } }, t.ctx.log),
    );
    expect(Object.keys(counts).length).toBeGreaterThan(0);
    await holdEvents(id);
    expect(await expectSettledOrOwned(id)).toMatchObject({ status: "queued" });
    expect((await outboxRow(id)).id).not.toBe(before);
    expect(await consume(id, t, 1)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect((await message(id)).status).toBe("sent");
  });

  it("a dead-lettered send is marked failed with a reason, the letter counts the real attempts, and a replay sends it", async () => {
    const { session, send } = await setup();
    const id = await send("dead lettered");
    const row = await outboxRow(id);
    const dlq = createMessageBatch<OutboxMessage>("ventros-events-dlq", [
      { id: `dlq-${row.id}`, timestamp: new Date(), attempts: 1, body: bodyOf(row, t) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(dlq, env, ctx);
    await getQueueResult(dlq, ctx);
    const failed = await message(id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^not sent: .*dead-lettered after 6 attempts/);
    const { rows } = await db.query.execute<any>(sql`select id, attempts from dead_letters where outbox_id = ${row.id}`);
    expect(rows[0].attempts).toBe(6);
    expect((await outboxRow(id, "message.failed")).payload.error).toBe(failed.error);

    expect((await api(`/api/v1/dead-letters/${rows[0].id}/replay`, { token: t.keys.admin, method: "POST" })).status).toBe(200);
    await holdEvents(id);
    expect(await message(id)).toMatchObject({ status: "queued", error: null });
    expect(await consume(id, t, 1)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect((await message(id)).status).toBe("sent");
  });

  it("a lease lost before the send (another consumer took over): nothing is sent, the new owner's claim is untouched", async () => {
    const { session, send } = await setup();
    const id = await send("lease lost");
    const ctx = createServiceContext(
      db,
      { tenantId: t.tenant.id, projectId: t.project.id, role: "admin", actor: { type: "system", id: "test" } },
      t.ctx.log,
    );
    const r = await deliverMessage(ctx, id, 1, {
      wahaTimeoutMs: 2000,
      // The lease ran out while this consumer was busy, and a redelivery claimed the message.
      beforeSend: async () => {
        await db.query.execute(sql`update messages set metadata = metadata || '{"claimId": "new-owner"}'::jsonb where id = ${id}`);
      },
    });
    expect(r.outcome).toBe("retry");
    expect(await sentTo(session)).toHaveLength(0);
    const row = await message(id);
    expect(row).toMatchObject({ status: "queued" });
    expect(row.metadata.claimId).toBe("new-owner");
    // And WAHA calls can never outlive a lease: WAHA_TIMEOUT_MS is bounded by a third of it.
    expect(() => parseConfig({ ...env, WAHA_TIMEOUT_MS: "60000" } as Env)).toThrow(/WAHA_TIMEOUT_MS/);
  });

  it("a lease lost after WAHA accepted: the WhatsApp id is left for the new owner, which records it without sending", async () => {
    const { session, send } = await setup();
    const id = await send("accepted, then the lease was gone");
    const ctx = createServiceContext(
      db,
      { tenantId: t.tenant.id, projectId: t.project.id, role: "admin", actor: { type: "system", id: "test" } },
      t.ctx.log,
    );
    const r = await deliverMessage(ctx, id, 1, {
      wahaTimeoutMs: 2000,
      afterSend: async () => {
        await db.query.execute(sql`update messages set metadata = metadata || '{"claimId": "new-owner"}'::jsonb where id = ${id}`);
      },
    });
    expect(r.outcome).toBe("already_handled");
    const sent = await sentTo(session);
    expect(sent).toHaveLength(1);
    expect((await message(id)).metadata).toMatchObject({ confirmedSent: true, sentAs: sent[0]!.messageId });
    // The new owner's lease runs out too; whoever claims next records the id and sends nothing.
    await db.query.execute(sql`update messages set metadata = metadata - 'claimId' - 'sendingAt' where id = ${id}`);
    await consume(id, t, 2);
    expect(await sentTo(session)).toHaveLength(1);
    expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: sent[0]!.messageId });
  });

  it("not in the chat right after an ambiguous attempt is not proof: retried without sending, unknown if it is the last", async () => {
    const { session, send } = await setup();
    const id = await send("maybe still in flight");
    // An attempt that may have reached WAHA just now (its answer lost), and that WhatsApp does not show yet.
    const ambiguousNow = (extra = {}) =>
      db.query.execute(
        sql`update messages set metadata = metadata || jsonb_build_object('ambiguousSince', now()) || ${JSON.stringify(extra)}::jsonb
            where id = ${id}`,
      );
    await ambiguousNow({ sendAttempts: 1 });
    // Retried once the grace has passed (WAHA_TIMEOUT_MS is 2 s in tests: 120 s lease + 2 × 2 s), not on the backoff.
    const retry = await consumeRecordingDelay(id, t, 1);
    expect(retry.retried).toBe(true);
    expect(retry.delaySeconds).toBeGreaterThanOrEqual(120);
    expect(retry.delaySeconds).toBeLessThanOrEqual(126);
    expect(await sentTo(session)).toHaveLength(0);
    const held = await expectSettledOrOwned(id);
    expect(held).toMatchObject({ status: "queued" });
    expect(held.metadata.ambiguousSince).toBeTruthy();
    // Waiting is not an attempt: only the earlier (ambiguous) one counts.
    expect(held.metadata.sendAttempts).toBe(1);
    // Past the grace (moved back rather than waited for), "not found" is final: sent once.
    await db.query.execute(
      sql`update messages set metadata = metadata || '{"ambiguousSince": "2000-01-01T00:00:00Z"}'::jsonb where id = ${id}`,
    );
    expect(await consume(id, t, 2)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect((await message(id)).status).toBe("sent");

    // The last attempt (by the claims' count, whatever the queue's) inside the grace: delivery unknown, not a send.
    const other = await setup();
    const last = await other.send("last attempt, maybe in flight");
    await db.query.execute(
      sql`update messages set metadata = metadata || jsonb_build_object('ambiguousSince', now(), 'sendAttempts', 5) where id = ${last}`,
    );
    expect(await consume(last, t, 1)).toMatchObject({ acked: true });
    const row = await expectSettledOrOwned(last);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/^delivery unknown: /);
    expect(await sentTo(other.session)).toHaveLength(0);
  });

  it("the last attempt is counted by the claims, not by the queue's delivery count (reset by re-queues and replays)", async () => {
    const { session, send } = await setup({ faults: ["refuse", "refuse"] });
    const id = await send("counted by claims");
    expect(await consume(id, t, 1)).toMatchObject({ retried: true });
    expect((await message(id)).metadata.sendAttempts).toBe(1);
    await db.query.execute(
      sql`update messages set metadata = metadata || '{"sendAttempts": 5, "ambiguousSince": "2000-01-01T00:00:00Z"}'::jsonb
          where id = ${id}`,
    );
    // The queue says first delivery (a re-queued event), the claims say sixth attempt: a verdict, not another retry.
    expect(await consume(id, t, 1)).toMatchObject({ acked: true });
    const row = await expectSettledOrOwned(id);
    expect(row.status).toBe("failed");
    expect(row.error).toMatch(/^delivery unknown: /);
    expect(await sentTo(session)).toHaveLength(0);
  });

  it("dead-lettered after a Worker died holding the claim: delivery unknown, and the replay looks before sending", async () => {
    const { session, send, phone } = await setup();
    const id = await send("killed, then dead-lettered");
    await db.query.execute(
      sql`update messages set metadata = metadata || ${JSON.stringify({ sendingAt: "2000-01-01T00:00:00Z", claimId: "dead-worker" })}::jsonb
          where id = ${id}`,
    );
    // The dead Worker's send did reach WhatsApp.
    await fetch(`${wahaUrl()}/api/sendText`, {
      method: "POST",
      headers: { "content-type": "application/json", "X-Api-Key": "waha-secret-key" },
      body: JSON.stringify({ session, chatId: `${phone}@c.us`, text: "killed, then dead-lettered" }),
    }).then((r) => r.body?.cancel());
    const row = await outboxRow(id);
    const dlq = createMessageBatch<OutboxMessage>("ventros-events-dlq", [
      { id: `dlq-${row.id}`, timestamp: new Date(), attempts: 1, body: bodyOf(row, t) },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(dlq, env, ctx);
    await getQueueResult(dlq, ctx);
    const failed = await message(id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/^delivery unknown: /);
    expect(failed.metadata.ambiguousSince).toBe("2000-01-01T00:00:00Z");
    expect(failed.metadata.sendingAt).toBeUndefined();

    const { rows } = await db.query.execute<any>(sql`select id from dead_letters where outbox_id = ${row.id}`);
    expect((await api(`/api/v1/dead-letters/${rows[0].id}/replay`, { token: t.keys.admin, method: "POST" })).status).toBe(200);
    await holdEvents(id);
    expect(await consume(id, t, 1)).toMatchObject({ acked: true });
    const sent = await sentTo(session);
    expect(sent).toHaveLength(1);
    expect(await message(id)).toMatchObject({ status: "sent", channel_message_id: sent[0]!.messageId });
  });

  it("a queue event without a tenant or project is rejected, never run in an empty scope", async () => {
    const { session, send } = await setup();
    const id = await send("no scope");
    const row = await outboxRow(id);
    const batch = createMessageBatch<OutboxMessage>("ventros-events", [
      { id: `q-noscope-${row.id}`, timestamp: new Date(), attempts: 1, body: { ...bodyOf(row, t), tenantId: null as any, projectId: "" } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await sentTo(session)).toHaveLength(0);
    const msg = await message(id);
    expect(msg.status).toBe("queued");
    expect(msg.metadata.claimId).toBeUndefined();
  });

  it("a send whose queue event was lost (queued, unclaimed, untouched past every backoff) is re-queued by the sweep, once", async () => {
    const { session, send } = await setup();
    const id = await send("event lost");
    const fresh = await send("still within the backoff");
    // Its event never reached a consumer, and all of the queue's backoff has passed (moved back, not waited for).
    await db.query.execute(sql`update messages set updated_at = now() - interval '1 day' where id = ${id}`);
    const before = (await outboxRow(id)).id;
    const makeContext = (scope: { tenantId: string; projectId: string }) =>
      createServiceContext(db, { ...scope, role: "admin", actor: { type: "system", id: "test" } }, t.ctx.log);
    expect(await requeueOrphanedSends(db, makeContext)).toBeGreaterThanOrEqual(1);
    await holdEvents(id, fresh);
    const requeued = await outboxRow(id);
    expect(requeued.id).not.toBe(before);
    expect((await outboxRow(fresh)).id).toBeTruthy();
    // Guarded by the updated_at it read: the next sweep finds it touched and leaves it alone.
    await requeueOrphanedSends(db, makeContext);
    expect((await outboxRow(id)).id).toBe(requeued.id);
    expect(await consume(id, t, 1)).toMatchObject({ acked: true });
    expect(await sentTo(session)).toHaveLength(1);
    expect((await message(id)).status).toBe("sent");
    expect((await message(fresh)).status).toBe("queued");
  });

  it("an ack parked in a race with the send is applied by the next sweep", async () => {
    const { channel, send, phone } = await setup();
    const id = await send("raced ack");
    await consume(id, t, 1);
    const waId = (await message(id)).channel_message_id as string;
    // The race: the ack's statement did not see the id yet and parked it after the send had looked.
    await db.query.execute(sql`
      insert into pending_message_acks (id, tenant_id, project_id, channel_id, channel_message_id, ack, participant)
      values (ventros_uuidv7(), ${t.tenant.id}, ${t.project.id}, ${channel.id}, ${waId}, 2, null)`);
    const ctx = createExecutionContext();
    await runScheduled(env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await message(id)).status).toBe("delivered");
    const { rows } = await db.query.execute(sql`select 1 from pending_message_acks where channel_message_id = ${waId}`);
    expect(rows).toHaveLength(0);
    expect(phone).toBeTruthy();
  });
});

async function injectQueryFailure(scope: string, match: string) {
  const res = await fetch(`${new URL(env.NEON_HTTP_ENDPOINT).origin}/__fault`, {
    method: "POST",
    body: JSON.stringify({ scope, failQuery: { match, times: 1 } }),
  });
  expect(res.status).toBe(200);
  await res.body?.cancel();
}
