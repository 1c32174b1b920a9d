import { createExecutionContext, runDurableObjectAlarm, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { runScheduled } from "../../src/jobs/scheduled";
import type { StreamEvent } from "../../src/realtime/event-stream";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { inboundText, postWaha } from "../support/waha";

/**
 * Session expiry has one home (ventros_expire_session). Whichever path notices an idle session first — the room's
 * alarm, the cron, an inbound message, an outbound send — the session ends once, with one session.ended event and
 * one timeline row, and the session room shows the event once.
 */
const db = testDatabase();
const phone = () => `55119${Math.floor(1e7 + Math.random() * 8e7)}`;

async function endedRecords(sessionId: string) {
  const { rows } = await db.query.execute<{ outbox: number; timeline: number; status: string }>(sql`
    select (select count(*)::int from outbox where topic = 'session.ended' and payload->>'sessionId' = ${sessionId}) as outbox,
           (select count(*)::int from contact_events where type = 'session.ended' and session_id = ${sessionId}) as timeline,
           (select status::text from sessions where id = ${sessionId}) as status`);
  return rows[0];
}

const idle = (sessionId: string) =>
  db.query.execute(sql`update sessions set last_activity_at = now() - interval '2 hours' where id = ${sessionId}`);

describe("session expiry, one rule for every path", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  let channel: Awaited<ReturnType<typeof t.channel>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });

  const openSession = async () => {
    const res = await postWaha(channel, "message", inboundText(`${phone()}@c.us`, "oi"));
    expect(res.status).toBe(200);
    return res.body as { sessionId: string; contactId: string };
  };

  it("the room's alarm: one event, one timeline row, and the queue's copy of the event is not shown twice", async () => {
    const { sessionId } = await openSession();
    await idle(sessionId);
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId));
    await stub.watch({ sessionId, tenantId: t.tenant.id, projectId: t.project.id }, Date.now() + 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await endedRecords(sessionId)).toEqual({ outbox: 1, timeline: 1, status: "expired" });
    const [outbox] = (
      await db.query.execute<{ id: string; payload: Record<string, unknown> }>(
        sql`select id::text, payload from outbox where topic = 'session.ended' and payload->>'sessionId' = ${sessionId}`,
      )
    ).rows;
    // What the queue's fan-out does with the same outbox row.
    await stub.publish("session.ended", { ...outbox!.payload, topic: "session.ended" }, outbox!.id);
    const shown = await runInDurableObject(stub, async (_room, state) => [
      ...(await state.storage.list<StreamEvent>({ prefix: "e:" })).values(),
    ]);
    expect(shown.filter((e) => e.topic === "session.ended").map((e) => e.id)).toEqual([outbox!.id]);
  });

  it("an inbound message after the timeout", async () => {
    const from = `${phone()}@c.us`;
    const first = (await postWaha(channel, "message", inboundText(from, "ontem"))).body;
    await idle(first.sessionId);
    const second = (await postWaha(channel, "message", inboundText(from, "hoje"))).body;
    expect(second.sessionId).not.toBe(first.sessionId);
    expect(await endedRecords(first.sessionId)).toEqual({ outbox: 1, timeline: 1, status: "expired" });
  });

  it("an outbound send after the timeout", async () => {
    const { sessionId, contactId } = await openSession();
    await idle(sessionId);
    const sent = await api("/api/v1/messages", { token: t.keys.admin, body: { contactId, channelId: channel.id, text: "voltei" } });
    expect(sent.status).toBe(202);
    expect(sent.body.sessionId).not.toBe(sessionId);
    expect(await endedRecords(sessionId)).toEqual({ outbox: 1, timeline: 1, status: "expired" });
  });

  it("the cron sweep, and a second sweep changes nothing", async () => {
    const { sessionId } = await openSession();
    await idle(sessionId);
    for (let i = 0; i < 2; i++) {
      const ctx = createExecutionContext();
      await runScheduled(env, ctx);
      await waitOnExecutionContext(ctx);
    }
    expect(await endedRecords(sessionId)).toEqual({ outbox: 1, timeline: 1, status: "expired" });
  });

  it("a room whose session another path already expired shows session.ended once", async () => {
    const { sessionId } = await openSession();
    await idle(sessionId);
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId));
    await stub.watch({ sessionId, tenantId: t.tenant.id, projectId: t.project.id }, Date.now() + 60_000);
    const ctx = createExecutionContext();
    await runScheduled(env, ctx); // the cron gets there first
    await waitOnExecutionContext(ctx);
    await runDurableObjectAlarm(stub); // then the room's alarm fires: nothing left to do
    const [outbox] = (
      await db.query.execute<{ id: string; payload: Record<string, unknown> }>(
        sql`select id::text, payload from outbox where topic = 'session.ended' and payload->>'sessionId' = ${sessionId}`,
      )
    ).rows;
    await stub.publish("session.ended", { ...outbox!.payload, topic: "session.ended" }, outbox!.id); // the queue's copy
    const shown = await runInDurableObject(stub, async (_room, state) => [
      ...(await state.storage.list<StreamEvent>({ prefix: "e:" })).values(),
    ]);
    expect(shown.filter((e) => e.topic === "session.ended").map((e) => e.id)).toEqual([outbox!.id]);
    expect(await endedRecords(sessionId)).toEqual({ outbox: 1, timeline: 1, status: "expired" });
  });

  it("an active session is left alone and reports when it will expire", async () => {
    const { sessionId } = await openSession();
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId));
    await stub.watch({ sessionId, tenantId: t.tenant.id, projectId: t.project.id }, Date.now() + 60_000);
    await runDurableObjectAlarm(stub);
    expect(await endedRecords(sessionId)).toEqual({ outbox: 0, timeline: 0, status: "active" });
  });
});
