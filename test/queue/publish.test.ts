import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/db";
import type { WahaMessage } from "../../src/integrations/waha/payloads";
import { createLogger } from "../../src/lib/logger";
import type { OutboxMessage } from "../../src/outbox/events";
import { publishOutbox } from "../../src/outbox/publisher";
import type { StreamEvent } from "../../src/realtime/event-stream";
import { pushAllLive } from "../../src/realtime/live";
import { createTagVerb } from "../../src/services/tags/verbs";
import { callVerb } from "../../src/services/verbs/define";
import { ingestMessage } from "../../src/services/whatsapp/ingest";
import { testDatabase } from "../support/db";
import { createTenantFixture } from "../support/fixtures";
import { inboundText } from "../support/waha";

const db = testDatabase();
const log = createLogger({ test: true }, "error");

/** A queue that records what it was handed, or refuses everything. */
const fakeQueue = (fail = false) => {
  const sent: OutboxMessage[] = [];
  const queue = {
    sendBatch: async (batch: Iterable<MessageSendRequest<OutboxMessage>>) => {
      if (fail) throw new Error("queue unavailable");
      for (const m of batch) sent.push(m.body);
    },
  } as unknown as Queue<OutboxMessage>;
  return { queue, sent };
};

const published = async (id: string) =>
  (await db.query.execute<{ published: boolean }>(sql`select published_at is not null as published from outbox where id = ${id}`)).rows[0]
    ?.published;

describe("publishing what a request committed", () => {
  let t: Awaited<ReturnType<typeof createTenantFixture>>;
  beforeAll(async () => {
    t = await createTenantFixture(db);
  });

  it("sends rows a verb committed from memory — one round trip, the mark — and re-reads only ids", async () => {
    const ctx = { ...t.ctx, db: testDatabase() };
    await callVerb(createTagVerb, ctx, { name: `Live ${Date.now()}` });
    const events = ctx.outbox.takePending();
    expect(events).toHaveLength(1);
    expect(events[0]!.row?.topic).toBe("tag.created");
    const before = ctx.db.roundTrips;
    const { queue, sent } = fakeQueue();
    expect(await publishOutbox(ctx.db, queue, log, { events })).toEqual({ published: 1, failed: 0 });
    expect(ctx.db.roundTrips - before).toBe(1);
    expect(sent.map((m) => m.topic)).toEqual(["tag.created"]);
    expect(await published(events[0]!.id)).toBe(true);
  });

  it("never publishes an event whose write did not commit", async () => {
    const ctx = { ...t.ctx, db: testDatabase() };
    const row = ctx.outbox.event("tag.created", { tagId: crypto.randomUUID() }); // built, never inserted
    await expect(callVerb(createTagVerb, ctx, { name: "" })).rejects.toThrow();
    const events = ctx.outbox.takePending();
    expect(events).toEqual([{ id: row.id }]); // not confirmed: published only if the database has it
    const { queue, sent } = fakeQueue();
    expect(await publishOutbox(ctx.db, queue, log, { events })).toEqual({ published: 0, failed: 0 });
    expect(sent).toEqual([]);
  });

  it("inbound ingestion returns the rows it committed, so the webhook publishes them without reading them back", async () => {
    const channel = await t.channel();
    const lookup = {
      ...channel,
      tenantId: t.tenant.id,
      projectId: t.project.id,
      webhookSecret: channel.webhookSecret!,
      sessionTimeoutMinutes: 30,
    };
    const payload = inboundText(`55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`, "oi") as unknown as WahaMessage;
    const r = await ingestMessage(db, lookup, { eventId: `evt-${crypto.randomUUID()}`, event: "message" }, payload);
    if (r.outcome !== "created") throw new Error(`not created: ${JSON.stringify(r)}`);
    const stored = (
      await db.query.execute<{ id: string; topic: string; payload: Record<string, unknown> }>(
        sql`select id::text, topic, payload from outbox where id = any(${`{${r.outboxIds.join(",")}}`}::uuid[]) order by id`,
      )
    ).rows;
    // Ids made in the same millisecond order by their random part: compare the set of topics, not their order.
    expect(stored.map((o) => o.topic).sort()).toEqual(["contact.created", "message.created", "session.created"]);
    expect(r.committedRows.map(({ id, topic, payload }) => ({ id, topic, payload }))).toEqual(stored);
    expect(r.committedRows.every((row) => row.tenantId === t.tenant.id && row.projectId === t.project.id)).toBe(true);
  });

  it("shows conversation events in the rooms even when the queue refuses them, and leaves them for the sweep", async () => {
    const projectId = t.project.id;
    const sessionId = crypto.randomUUID();
    const id = crypto.randomUUID();
    const payload = { sessionId, messageId: crypto.randomUUID(), direction: "inbound" };
    await db.query.insert(schema.outbox).values({ id, topic: "message.created", tenantId: t.tenant.id, projectId, payload });
    const { queue } = fakeQueue(true);
    const result = await publishOutbox(db, queue, log, { events: [{ id }], beforeSend: (m) => pushAllLive(env, m) });
    expect(result).toEqual({ published: 0, failed: 1 });
    expect(await published(id)).toBe(false);
    for (const stub of [
      env.PROJECT_FEED.get(env.PROJECT_FEED.idFromName(projectId)),
      env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId)),
    ]) {
      const shown = await runInDurableObject(stub, async (_o, state) => [
        ...(await state.storage.list<StreamEvent>({ prefix: "e:" })).values(),
      ]);
      expect(shown.filter((e) => e.id === id).map((e) => e.topic)).toEqual(["message.created"]);
    }
  });
});
