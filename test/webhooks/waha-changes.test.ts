import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/db";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { inboundText, postWaha } from "../support/waha";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const one = async <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) => (await db.query.execute<T>(q)).rows[0]!;

describe("WAHA webhook: acks, edits, revokes, reactions, session status", () => {
  let t: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });

  /** An outbound message as the outbound pipeline leaves it after WAHA accepted it. */
  async function sentMessage(chat: string) {
    const first = await postWaha(channel, "message", inboundText(chat, "hi"));
    const waId = `true_${chat}_${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
    const [m] = await db.query
      .insert(schema.messages)
      .values({
        tenantId: t.tenant.id,
        projectId: t.project.id,
        sessionId: first.body.sessionId,
        contactId: first.body.contactId,
        channelId: channel.id,
        direction: "outbound",
        status: "sent",
        body: "reply",
        channelMessageId: waId,
        fromMe: true,
      })
      .returning();
    return { id: m!.id, waId };
  }
  const status = async (id: string) => (await one<{ status: string }>(sql`select status from messages where id = ${id}`)).status;
  const ack = (waId: string, value: number, participant: string | null = null) =>
    postWaha(channel, "message.ack", { id: waId, from: "x@c.us", participant, fromMe: true, ack: value, ackName: String(value) });

  it("moves status forward only, whatever order the acks arrive in", async () => {
    const m = await sentMessage("5511911110001@c.us");
    expect((await ack(m.waId, 3)).body.outcome).toBe("updated");
    expect(await status(m.id)).toBe("read");
    expect((await ack(m.waId, 2)).body.outcome).toBe("stale");
    expect((await ack(m.waId, 1)).body.outcome).toBe("stale");
    expect(await status(m.id)).toBe("read");
    expect((await ack(m.waId, -1)).body.outcome).toBe("stale");
    expect((await ack(m.waId, 4)).body.outcome).toBe("updated");
    expect(await status(m.id)).toBe("played");
    const times = await one<any>(sql`select delivered_at is not null as d, read_at is not null as r from messages where id = ${m.id}`);
    expect(times).toEqual({ d: true, r: true });
    const topics = (
      await db.query.execute<{ topic: string }>(sql`select topic from outbox where payload->>'messageId' = ${m.id} order by id`)
    ).rows.map((r) => r.topic);
    expect(topics).toEqual(["message.read", "message.read"]);
  });

  it("marks ERROR acks failed only before delivery, records group participants, parks acks for unknown ids", async () => {
    const m = await sentMessage("5511911110002@c.us");
    await ack(m.waId, -1);
    expect(await status(m.id)).toBe("failed");
    expect((await ack(m.waId, 2)).body.outcome).toBe("stale");

    const g = await sentMessage(`1203630${Date.now()}@g.us`);
    await ack(g.waId, 2, "5511900000001@c.us");
    await ack(g.waId, 3, "5511900000002@c.us");
    const meta = await one<any>(sql`select status, metadata from messages where id = ${g.id}`);
    expect(meta.status).toBe("read");
    expect(meta.metadata.acks).toEqual({ "5511900000001@c.us": "delivered", "5511900000002@c.us": "read" });

    const parked = await ack("true_5511@c.us_NOTYET", 2);
    expect(parked.body.outcome).toBe("parked");
    expect((await ack("true_5511@c.us_NOTYET", 0)).body.outcome).toBe("ignored");
  });

  it("edits keep the previous text; revokes flag; reactions are per reactor and removable", async () => {
    const chat = "5511911110003@c.us";
    const msg = inboundText(chat, "quero 2 unidades");
    const created = await postWaha(channel, "message", msg);
    const edit = await postWaha(channel, "message.edited", { id: "edit1", body: "quero 3 unidades", editedMessageId: msg.id });
    expect(edit.body.outcome).toBe("updated");
    const edited = await one<any>(
      sql`select body, edited_at is not null as e, metadata from messages where id = ${created.body.messageId}`,
    );
    expect(edited.body).toBe("quero 3 unidades");
    expect(edited.metadata.edits.map((x: any) => x.body)).toEqual(["quero 2 unidades"]);

    await postWaha(channel, "message.reaction", { id: "r1", from: chat, fromMe: false, reaction: { text: "👍", messageId: msg.id } });
    await postWaha(channel, "message.reaction", { id: "r2", from: chat, fromMe: true, reaction: { text: "❤️", messageId: msg.id } });
    expect((await one<any>(sql`select reactions from messages where id = ${created.body.messageId}`)).reactions).toEqual({
      [chat]: "👍",
      me: "❤️",
    });
    await postWaha(channel, "message.reaction", { id: "r3", from: chat, fromMe: false, reaction: { text: "", messageId: msg.id } });
    expect((await one<any>(sql`select reactions from messages where id = ${created.body.messageId}`)).reactions).toEqual({ me: "❤️" });

    const revoke = await postWaha(channel, "message.revoked", { revokedMessageId: msg.id, before: null, after: null });
    expect(revoke.body.outcome).toBe("updated");
    expect((await one<any>(sql`select revoked_at is not null as r from messages where id = ${created.body.messageId}`)).r).toBe(true);
    expect((await postWaha(channel, "message.edited", { body: "x", editedMessageId: "unknown" })).body.outcome).toBe("unknown_message");
  });

  it("tracks the channel's session status, ignoring older events", async () => {
    const now = Date.now();
    expect((await postWaha(channel, "session.status", { status: "SCAN_QR_CODE" }, { timestamp: now - 1000 })).body.outcome).toBe("updated");
    expect((await postWaha(channel, "session.status", { status: "WORKING" }, { timestamp: now })).body.outcome).toBe("updated");
    expect((await postWaha(channel, "session.status", { status: "STARTING" }, { timestamp: now - 500 })).body.outcome).toBe("unchanged");
    expect((await one<any>(sql`select status::text from channels where id = ${channel.id}`)).status).toBe("WORKING");
  });
});
