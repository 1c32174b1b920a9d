import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { OutboxMessage } from "../../src/outbox/events";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { configureSandbox, sentTo } from "../support/sandbox";

const db = testDatabase();

describe("dead-letter queue", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });

  it("stores dead-lettered events, lists them to admins, and replays them to their consumer", async () => {
    const channel = await t.channel();
    await configureSandbox({ name: channel.wahaSession });
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "DLQ", phone: "+55 11 96666-0000" } })).body;
    const queued = (
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, channelId: channel.id, text: "second chance" } })
    ).body;
    // Let the live pipeline settle, then pretend the event had failed every retry instead.
    await expect
      .poll(
        async () =>
          (await db.query.execute<{ status: string }>(sql`select status::text from messages where id = ${queued.id}`)).rows[0]!.status,
        { timeout: 15_000 },
      )
      .toBe("sent");
    await db.query.execute(sql`update messages set status = 'queued', channel_message_id = null where id = ${queued.id}`);
    const [outbox] = (
      await db.query.execute<any>(sql`select * from outbox where topic = 'message.queued' and payload->>'messageId' = ${queued.id}`)
    ).rows;
    const body: OutboxMessage = {
      id: outbox.id,
      topic: "message.queued",
      tenantId: t.tenant.id,
      projectId: t.project.id,
      payload: outbox.payload,
      createdAt: new Date().toISOString(),
    };
    const batch = createMessageBatch<OutboxMessage>("ventros-events-dlq", [{ id: "dlq-1", timestamp: new Date(), attempts: 1, body }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["dlq-1"]);

    expectError(await api("/api/v1/dead-letters", { token: t.keys.manager }), 403, "forbidden");
    const list = await api("/api/v1/dead-letters?pending=true", { token: t.keys.admin });
    const letter = list.body.data.find((d: any) => d.outboxId === outbox.id);
    expect(letter).toMatchObject({ topic: "message.queued", queue: "ventros-events-dlq", replayedAt: null });

    const replayed = await api(`/api/v1/dead-letters/${letter.id}/replay`, { token: t.keys.admin, method: "POST" });
    expect(replayed.status).toBe(200);
    expect(replayed.body.replayCount).toBe(1);
    const { rows: replayEvents } = await db.query.execute<{ payload: unknown }>(
      sql`select payload from outbox where topic = 'dead_letter.replayed' and payload->>'deadLetterId' = ${letter.id}`,
    );
    expect(replayEvents.map((r) => r.payload)).toEqual([{ deadLetterId: letter.id, outboxId: outbox.id, topic: "message.queued" }]);
    await expect
      .poll(
        async () =>
          (await db.query.execute<{ status: string }>(sql`select status::text from messages where id = ${queued.id}`)).rows[0]!.status,
        { timeout: 15_000 },
      )
      .toBe("sent");
    expect(await sentTo(channel.wahaSession)).toHaveLength(2);
    expect(
      (await api("/api/v1/dead-letters?pending=true", { token: t.keys.admin })).body.data.find((d: any) => d.outboxId === outbox.id),
    ).toBeUndefined();
  });
});
