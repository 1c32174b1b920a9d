import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { recordDeadLetter } from "../../src/services/dead-letters";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

const events = async (topic: string, key: string, id: string) =>
  (
    await db.query.execute<{ payload: Record<string, unknown> }>(
      sql`select payload from outbox where topic = ${topic} and payload->>${key} = ${id} order by id`,
    )
  ).rows.map((r) => r.payload);

describe("channel, session and message verbs over REST", () => {
  let t: Actors;
  let b: Actors;
  beforeAll(async () => {
    [t, b] = await Promise.all([createActors(db), createActors(db)]);
  });

  it("keeps a channel's settings given on create", async () => {
    const settings = { autoReply: true, greeting: "Olá" };
    const ch = await api("/api/v1/channels", {
      token: t.keys.admin,
      body: { name: "Settings", wahaSession: "settings", baseUrl: "http://waha.local:3000", settings },
    });
    expect(ch.status).toBe(201);
    expect(ch.body.settings).toEqual(settings);
    expect((await api(`/api/v1/channels/${ch.body.id}`, { token: t.keys.readonly })).body.settings).toEqual(settings);
  });

  it("lists channels without credentials and writes an event for every change, the rotated secret never in it", async () => {
    const ch = (
      await api("/api/v1/channels", {
        token: t.keys.admin,
        body: { name: "Events", wahaSession: "events", baseUrl: "http://waha.local:3000", apiKey: "secret-key" },
      })
    ).body;
    const list = await api("/api/v1/channels", { token: t.keys.readonly });
    const listed = list.body.data.find((c: any) => c.id === ch.id);
    expect(listed).toMatchObject({ hasApiKey: true, hasWebhookSecret: true, webhookPath: `/webhooks/waha/${ch.id}` });
    expect(JSON.stringify(list.body)).not.toContain("secret-key");
    expect(JSON.stringify(list.body)).not.toContain(ch.webhookSecret);

    const rotated = await api(`/api/v1/channels/${ch.id}/rotate-webhook-secret`, { token: t.keys.admin, method: "POST" });
    expect(rotated.status).toBe(200);
    const [rotation] = await events("channel.secret_rotated", "channelId", ch.id);
    expect(rotation).toEqual({ channelId: ch.id, fields: ["webhookSecret"] });
    expect(JSON.stringify(rotation)).not.toContain(rotated.body.webhookSecret);

    await api(`/api/v1/channels/${ch.id}`, { token: t.keys.admin, method: "PATCH", body: { settings: { x: 1 } } });
    expect((await api(`/api/v1/channels/${ch.id}`, { token: t.keys.admin, method: "DELETE" })).status).toBe(204);
    for (const topic of ["channel.created", "channel.updated", "channel.deleted"])
      expect(await events(topic, "channelId", ch.id), topic).toHaveLength(1);
  });

  it("closes a session without a body, and reopens one when sending after the idle timeout", async () => {
    const channel = await t.channel();
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Close me", phone: "+55 11 97777-0001" } })).body;
    const first = (
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, channelId: channel.id, text: "oi" } })
    ).body;
    const closed = await api(`/api/v1/sessions/${first.sessionId}/close`, { token: t.keys.user, method: "POST" });
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: "manually_closed", endReason: "closed by user" });
    expect(await events("session.ended", "sessionId", first.sessionId)).toEqual([expect.objectContaining({ status: "manually_closed" })]);

    // Sending into an idle session expires it and opens a new one: both session events belong to the send verb.
    const second = (
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, channelId: channel.id, text: "de novo" } })
    ).body;
    await db.query.execute(sql`update sessions set last_activity_at = now() - interval '3 hours' where id = ${second.sessionId}`);
    const third = await api("/api/v1/messages", {
      token: t.keys.user,
      body: { contactId: contact.id, channelId: channel.id, text: "voltei" },
    });
    expect(third.status).toBe(202);
    expect(third.body.sessionId).not.toBe(second.sessionId);
    expect(await events("session.ended", "sessionId", second.sessionId)).toEqual([expect.objectContaining({ status: "expired" })]);
    expect(await events("session.created", "sessionId", third.body.sessionId)).toHaveLength(1);
  });

  it("checks cross-field rules and names the field", async () => {
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Rules" } })).body;
    const noScope = expectError(await api("/api/v1/messages?limit=5", { token: t.keys.readonly }), 400, "invalid_request");
    expect(noScope.details).toEqual([expect.objectContaining({ path: "sessionId" })]);
    const noMedia = expectError(
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, contentType: "document" } }),
      400,
      "invalid_request",
    );
    expect(noMedia.details).toEqual([expect.objectContaining({ path: "media" })]);
    const ftp = { contactId: contact.id, contentType: "image", media: { url: "ftp://cdn.example.test/a.jpg", mimetype: "image/jpeg" } };
    expectError(await api("/api/v1/messages", { token: t.keys.user, body: ftp }), 400, "invalid_request");
    expectError(
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, contentType: "sticker", text: "x" } }),
      400,
      "invalid_request",
    );
    expectError(await api("/api/v1/sessions?status=open", { token: t.keys.readonly }), 400, "invalid_request");
    expect((await api(`/api/v1/contacts/${contact.id}/timeline?limit=1`, { token: t.keys.readonly })).body.data).toHaveLength(1);
  });

  it("answers 404 for another tenant's channel, session, contact timeline and dead letter", async () => {
    const channel = await b.channel();
    const contact = (await api("/api/v1/contacts", { token: b.keys.admin, body: { name: "B", phone: "+55 11 97777-0002" } })).body;
    const message = (
      await api("/api/v1/messages", { token: b.keys.user, body: { contactId: contact.id, channelId: channel.id, text: "b" } })
    ).body;
    const outboxId = crypto.randomUUID();
    const letter = {
      id: outboxId,
      topic: "message.queued" as const,
      tenantId: b.tenant.id,
      projectId: b.project.id,
      payload: { messageId: message.id },
      createdAt: new Date().toISOString(),
    };
    await recordDeadLetter(db, "ventros-events-dlq", letter, 6);
    const [dead] = (await db.query.execute<{ id: string }>(sql`select id from dead_letters where outbox_id = ${outboxId}`)).rows;
    const calls: [string, string, unknown?][] = [
      ["GET", `/api/v1/channels/${channel.id}`],
      ["PATCH", `/api/v1/channels/${channel.id}`, { name: "pwned" }],
      ["POST", `/api/v1/channels/${channel.id}/rotate-webhook-secret`],
      ["DELETE", `/api/v1/channels/${channel.id}`],
      ["GET", `/api/v1/sessions/${message.sessionId}`],
      ["POST", `/api/v1/sessions/${message.sessionId}/close`, {}],
      ["GET", `/api/v1/contacts/${contact.id}/timeline`],
      ["POST", `/api/v1/dead-letters/${dead!.id}/replay`],
    ];
    for (const [method, path, body] of calls) {
      const res = await api(path, { method, token: t.keys.admin, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.details?.resource, `${method} ${path}`).toBeTruthy();
    }
    const session = (await api(`/api/v1/sessions/${message.sessionId}`, { token: b.keys.admin })).body;
    expect(session.status).toBe("active");
    expect((await api(`/api/v1/channels/${channel.id}`, { token: b.keys.admin })).body.name).toBe("WhatsApp");
  });
});
