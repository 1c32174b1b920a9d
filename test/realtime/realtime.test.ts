import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { runScheduled } from "../../src/jobs/scheduled";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { inboundText, postWaha } from "../support/waha";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

/** The status an upgrade request gets (101 when accepted; the socket is closed again). */
async function upgradeStatus(path: string) {
  const res = await exports.default.fetch(`http://crm.test${path}`, { headers: { Upgrade: "websocket" } });
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close();
  } else await res.body?.cancel();
  return res.status;
}

/** A WebSocket client that collects frames and can wait for a condition. */
async function connect(path: string) {
  const res = await exports.default.fetch(`http://crm.test${path}`, { headers: { Upgrade: "websocket" } });
  if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade refused: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  ws.accept();
  const frames: any[] = [];
  ws.addEventListener("message", (e) => {
    if (String(e.data).startsWith("{")) frames.push(JSON.parse(String(e.data)));
  });
  const waitFor = async (pred: (f: any[]) => boolean, timeout = 15_000) => {
    await expect.poll(() => pred(frames), { timeout, interval: 50 }).toBe(true);
    return frames;
  };
  return { ws, frames, waitFor };
}
const events = (frames: any[]) => frames.filter((f) => f.type === "event");

describe("realtime over WebSockets", () => {
  let t: Actors;
  let b: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    [t, b] = await Promise.all([createActors(db), createActors(db)]);
    channel = await t.channel();
  });

  it("authenticates the upgrade and scopes sessions to the tenant", async () => {
    expect(await upgradeStatus("/api/v1/realtime")).toBe(401);
    expect(await upgradeStatus("/api/v1/realtime?access_token=vtr_forged")).toBe(401);
    // A token in the query string is only honoured on WebSocket upgrades.
    const res = await exports.default.fetch(`http://crm.test/api/v1/realtime?access_token=${t.keys.readonly}`);
    expect(res.status).toBe(401);
    await res.body?.cancel();
    expect((await api("/api/v1/realtime", { token: t.keys.readonly })).status).toBe(400);
    expect((await api(`/api/v1/contacts?access_token=${t.keys.admin}`)).status).toBe(401);
    const first = await postWaha(channel, "message", inboundText("5511977770000@c.us", "oi"));
    expect(await upgradeStatus(`/api/v1/sessions/${first.body.sessionId}/realtime?access_token=${b.keys.admin}`)).toBe(404);
    expect(await upgradeStatus(`/api/v1/sessions/${first.body.sessionId}/realtime?access_token=${t.keys.readonly}`)).toBe(101);
  });

  it("streams project events in order with sequence numbers and resumes after a disconnect", async () => {
    const feed = await connect(`/api/v1/realtime?access_token=${t.keys.readonly}`);
    await feed.waitFor((f) => f.some((x) => x.type === "hello"));
    const from = `55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`;
    for (const text of ["um", "dois", "três"]) await postWaha(channel, "message", inboundText(from, text));
    await feed.waitFor((f) => events(f).filter((e) => e.topic === "message.created" && e.payload.contactId).length >= 3);
    const seqs = events(feed.frames).map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    expect(new Set(seqs).size).toBe(seqs.length);
    const lastSeen = seqs.at(-1)!;
    feed.ws.close();

    // Missed while disconnected: delivered on reconnect with ?since, in order, before anything live.
    const sent = await postWaha(channel, "message", inboundText(from, "quatro"));
    await expect
      .poll(
        async () =>
          (
            await db.query.execute<{ n: number }>(
              sql`select count(*)::int as n from processed_webhook_events where dedupe_key like ${"message.created:%"}
                and source = 'queue' and project_id = ${t.project.id}`,
            )
          ).rows[0]!.n,
        { timeout: 15_000 },
      )
      .toBeGreaterThanOrEqual(4);
    const again = await connect(`/api/v1/realtime?access_token=${t.keys.readonly}&since=${lastSeen}`);
    const frames = await again.waitFor((f) => events(f).some((e) => e.payload.messageId === sent.body.messageId));
    const replayed = events(frames);
    expect(replayed[0].seq).toBe(lastSeen + 1);
    expect(replayed.map((e) => e.seq)).toEqual(replayed.map((_, i) => lastSeen + 1 + i));
    again.ws.close();
  });

  it("answers heartbeats and delivers session-room events", async () => {
    const first = await postWaha(channel, "message", inboundText(`55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`, "room"));
    const room = await connect(`/api/v1/sessions/${first.body.sessionId}/realtime?access_token=${t.keys.user}`);
    const pong = new Promise((resolve) => room.ws.addEventListener("message", (e) => e.data === "pong" && resolve(true)));
    room.ws.send("ping");
    expect(await pong).toBe(true);
    const reply = await api("/api/v1/messages", {
      token: t.keys.user,
      body: { contactId: first.body.contactId, channelId: channel.id, text: "resposta" },
    });
    await room.waitFor((f) => events(f).some((e) => e.topic === "message.created" && e.payload.messageId === reply.body.id));
    room.ws.close();
  });

  it("ends an idle session from the room's alarm and emits session.ended", async () => {
    const first = await postWaha(channel, "message", inboundText(`55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`, "alarm"));
    const sessionId = first.body.sessionId;
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId));
    await stub.watch({ sessionId, tenantId: t.tenant.id, projectId: t.project.id }, Date.now() + 60_000);
    // Not idle yet: the alarm re-arms instead of ending the conversation.
    await runDurableObjectAlarm(stub);
    expect(
      (await db.query.execute<{ status: string }>(sql`select status::text from sessions where id = ${sessionId}`)).rows[0]!.status,
    ).toBe("active");
    await db.query.execute(sql`update sessions set last_activity_at = now() - interval '2 hours' where id = ${sessionId}`);
    await stub.watch({ sessionId, tenantId: t.tenant.id, projectId: t.project.id }, Date.now() + 60_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const row = (await db.query.execute<any>(sql`select status::text, end_reason from sessions where id = ${sessionId}`)).rows[0];
    expect(row).toEqual({ status: "expired", end_reason: "inactivity" });
    const ended = (
      await db.query.execute<{ n: number }>(
        sql`select count(*)::int as n from outbox where topic = 'session.ended' and payload->>'sessionId' = ${sessionId}`,
      )
    ).rows[0]!.n;
    expect(ended).toBe(1);
  });

  it("the cron expires idle sessions that never got an alarm", async () => {
    const first = await postWaha(channel, "message", inboundText(`55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`, "cron"));
    await db.query.execute(sql`update sessions set last_activity_at = now() - interval '3 hours' where id = ${first.body.sessionId}`);
    const ctx = createExecutionContext();
    const result = await runScheduled(env, ctx);
    await waitOnExecutionContext(ctx);
    expect(result.expiredSessions).toBeGreaterThanOrEqual(1);
    expect(
      (await db.query.execute<{ status: string }>(sql`select status::text from sessions where id = ${first.body.sessionId}`)).rows[0]!
        .status,
    ).toBe("expired");
  });

  it("the cron applies retention: old published outbox rows and dedupe records go, fresh ones stay", async () => {
    const { rows } = await db.query.execute<{ old: string; fresh: string }>(sql`
      with o as (insert into outbox (id, topic, payload, created_at, published_at) values
        (gen_random_uuid(), 'contact.updated', '{}', now() - interval '8 days', now() - interval '8 days'),
        (gen_random_uuid(), 'contact.updated', '{}', now(), now()) returning id, published_at)
      select (select id::text from o where published_at < now() - interval '1 day') as old, (select id::text from o
        where published_at >= now() - interval '1 day') as fresh`);
    await db.query.execute(
      sql`insert into processed_webhook_events (id, source, dedupe_key, event_type, created_at) values (gen_random_uuid(), 'test',
        ${`old-${rows[0]!.old}`}, 'x', now() - interval '15 days')`,
    );
    const ctx = createExecutionContext();
    await runScheduled(env, ctx);
    await waitOnExecutionContext(ctx);
    const left = (
      await db.query.execute<{ id: string }>(sql`select id::text from outbox where id in (${rows[0]!.old}, ${rows[0]!.fresh})`)
    ).rows.map((r) => r.id);
    expect(left).toEqual([rows[0]!.fresh]);
    expect((await db.query.execute(sql`select 1 from processed_webhook_events where dedupe_key = ${`old-${rows[0]!.old}`}`)).rows).toEqual(
      [],
    );
  });
});
