import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

describe("pipelines and stages", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  it("creates ordered stages, reorders, inserts at a position and moves contacts with history", async () => {
    const p = await api("/api/v1/pipelines", {
      token: t.keys.manager,
      body: { name: "Sales", stages: [{ name: "New" }, { name: "Qualified" }, { name: "Won", kind: "won" }] },
    });
    expect(p.status).toBe(201);
    const [s1, s2, s3] = p.body.stages;
    expect(p.body.stages.map((s: any) => s.position)).toEqual([0, 1, 2]);
    const inserted = await api(`/api/v1/pipelines/${p.body.id}/stages`, { token: t.keys.manager, body: { name: "Demo", position: 2 } });
    expect(inserted.body.position).toBe(2);
    const names = (await api(`/api/v1/pipelines/${p.body.id}`, { token: t.keys.readonly })).body.stages.map((s: any) => s.name);
    expect(names).toEqual(["New", "Qualified", "Demo", "Won"]);
    const reordered = await api(`/api/v1/pipelines/${p.body.id}/stages/order`, {
      token: t.keys.manager,
      method: "PUT",
      body: { stageIds: [s3.id, s1.id, inserted.body.id, s2.id] },
    });
    expect(reordered.body.stages.map((s: any) => s.name)).toEqual(["Won", "New", "Demo", "Qualified"]);
    expectError(
      await api(`/api/v1/pipelines/${p.body.id}/stages/order`, { token: t.keys.manager, method: "PUT", body: { stageIds: [s1.id] } }),
      422,
      "unprocessable",
    );

    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Lead" } })).body;
    const move1 = await api(`/api/v1/contacts/${contact.id}/stage`, { token: t.keys.user, method: "PUT", body: { stageId: s1.id } });
    expect(move1.body).toMatchObject({ changed: true, stageId: s1.id });
    const same = await api(`/api/v1/contacts/${contact.id}/stage`, { token: t.keys.user, method: "PUT", body: { stageId: s1.id } });
    expect(same.body.changed).toBe(false);
    await api(`/api/v1/contacts/${contact.id}/stage`, {
      token: t.keys.user,
      method: "PUT",
      body: { stageId: s2.id, reason: "budget confirmed" },
    });
    const history = await api(`/api/v1/contacts/${contact.id}/stage-history`, { token: t.keys.readonly });
    expect(history.body.data.map((h: any) => [h.fromStageId, h.toStageId, h.reason])).toEqual([
      [null, s1.id, null],
      [s1.id, s2.id, "budget confirmed"],
    ]);
    const detail = await api(`/api/v1/contacts/${contact.id}`, { token: t.keys.readonly });
    expect(detail.body.stages).toEqual([expect.objectContaining({ pipelineId: p.body.id, stageId: s2.id, stageName: "Qualified" })]);
    const { rows } = await db.query.execute<{ n: number }>(
      sql`select count(*)::int as n from outbox where topic = 'pipeline.stage_changed' and payload->>'contactId' = ${contact.id}`,
    );
    expect(rows[0]!.n).toBe(2);
    expectError(await api(`/api/v1/pipelines/${p.body.id}/stages/${s2.id}`, { token: t.keys.manager, method: "DELETE" }), 409, "conflict");
    expect(
      (await api(`/api/v1/pipelines/${p.body.id}/stages/${inserted.body.id}`, { token: t.keys.manager, method: "DELETE" })).status,
    ).toBe(204);
    expectError(
      await api(`/api/v1/contacts/${contact.id}/stage`, { token: t.keys.user, method: "PUT", body: { stageId: "nope" } }),
      400,
      "invalid_request",
    );
    expect((await api(`/api/v1/pipelines/${p.body.id}`, { token: t.keys.manager, method: "DELETE" })).status).toBe(204);
    expect((await api("/api/v1/pipelines", { token: t.keys.readonly })).body.data).toEqual([]);
  });
});

describe("channels, sessions and messages", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  it("connects a channel, shows its secret once, hides credentials afterwards", async () => {
    const ch = await api("/api/v1/channels", {
      token: t.keys.admin,
      body: { name: "Sales WA", wahaSession: "sales", baseUrl: "http://waha.local:3000/", apiKey: "k" },
    });
    expect(ch.status).toBe(201);
    expect(ch.body.webhookSecret).toHaveLength(43);
    expect(ch.body.baseUrl).toBe("http://waha.local:3000");
    expect(ch.body.webhookPath).toBe(`/webhooks/waha/${ch.body.id}`);
    const got = await api(`/api/v1/channels/${ch.body.id}`, { token: t.keys.readonly });
    expect(got.body).not.toHaveProperty("webhookSecret");
    expect(got.body).not.toHaveProperty("apiKey");
    expect(got.body.hasApiKey).toBe(true);
    expectError(
      await api("/api/v1/channels", { token: t.keys.admin, body: { name: "dup", wahaSession: "sales", baseUrl: "http://x" } }),
      409,
      "conflict",
    );
    expectError(
      await api("/api/v1/channels", { token: t.keys.admin, body: { name: "bad", wahaSession: "no spaces", baseUrl: "ftp://x" } }),
      400,
      "invalid_request",
    );
    const rotated = await api(`/api/v1/channels/${ch.body.id}/rotate-webhook-secret`, { token: t.keys.admin, method: "POST" });
    expect(rotated.body.webhookSecret).not.toBe(ch.body.webhookSecret);
  });

  it("queues an outbound message, opening a session, and lists it", async () => {
    const channel = await t.channel();
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Cliente", phone: "+55 11 91234-5678" } })).body;
    const sent = await api("/api/v1/messages", {
      token: t.keys.user,
      body: { contactId: contact.id, channelId: channel.id, text: "Olá!" },
    });
    expect(sent.status).toBe(202);
    expect(sent.body).toMatchObject({ status: "queued", direction: "outbound", body: "Olá!", contentType: "text" });
    // The second message goes to the same session and defaults to the same channel.
    const second = await api("/api/v1/messages", {
      token: t.keys.user,
      body: { contactId: contact.id, contentType: "image", media: { url: "https://cdn.example.test/a.jpg", mimetype: "image/jpeg" } },
    });
    expect(second.body.sessionId).toBe(sent.body.sessionId);
    expectError(
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, contentType: "image" } }),
      400,
      "invalid_request",
    );
    expectError(
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, text: "   " } }),
      400,
      "invalid_request",
    );
    const session = await api(`/api/v1/sessions/${sent.body.sessionId}`, { token: t.keys.readonly });
    expect(session.body).toMatchObject({ status: "active", messageCount: 2, outboundCount: 2, channelId: channel.id });
    const msgs = await api(`/api/v1/messages?sessionId=${sent.body.sessionId}&order=asc`, { token: t.keys.readonly });
    expect(msgs.body.data.map((m: any) => m.contentType)).toEqual(["text", "image"]);
    expectError(await api("/api/v1/messages", { token: t.keys.readonly }), 400, "invalid_request");
    const { rows } = await db.query.execute<{ topic: string }>(
      sql`select topic from outbox where payload->>'messageId' = ${sent.body.id} order by topic`,
    );
    // The queue may already have delivered it (message.sent); what the request itself committed is these two, once each.
    expect(rows.map((r) => r.topic).filter((x) => x !== "message.sent")).toEqual(["message.created", "message.queued"]);
    const byContact = await api(`/api/v1/sessions?contactId=${contact.id}&status=active`, { token: t.keys.readonly });
    expect(byContact.body.data).toHaveLength(1);

    const closed = await api(`/api/v1/sessions/${sent.body.sessionId}/close`, { token: t.keys.user, body: { reason: "resolved" } });
    expect(closed.body).toMatchObject({ status: "manually_closed", endReason: "resolved" });
    expectError(await api(`/api/v1/sessions/${sent.body.sessionId}/close`, { token: t.keys.user, body: {} }), 409, "conflict");
    // A new message after closing opens a new conversation.
    const third = await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, text: "Voltei" } });
    expect(third.body.sessionId).not.toBe(sent.body.sessionId);
  });

  it("requires a channel when it cannot be inferred", async () => {
    await t.channel();
    await t.channel();
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Sem canal" } })).body;
    const err = expectError(
      await api("/api/v1/messages", { token: t.keys.user, body: { contactId: contact.id, text: "x" } }),
      422,
      "unprocessable",
    );
    expect(JSON.stringify(err.details)).toContain("channelId");
  });
});
