import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/crypto";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { eventId, inboundText, messageId, postWaha } from "../support/waha";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const phone = () => `5511${Math.floor(100000000 + Math.random() * 899999999)}`;

async function rows<T extends Record<string, unknown>>(query: ReturnType<typeof sql>) {
  return (await db.query.execute<T>(query)).rows;
}

describe("WAHA webhook: inbound messages", () => {
  let t: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });

  it("persists a text message with a new contact and session, then recognises duplicates of either kind", async () => {
    const from = `${phone()}@c.us`;
    const payload = inboundText(from, "Oi, quero um orçamento");
    const first = await postWaha(channel, "message", payload, { id: `evt_01jfirst${Date.now()}` });
    expect(first.status).toBe(200);
    expect(first.body.outcome).toBe("created");
    const [msg] = await rows<any>(
      sql`select m.*, c.name as contact_name, c.phone
          from messages m join contacts c on c.id = m.contact_id where m.id = ${first.body.messageId}`,
    );
    expect(msg).toMatchObject({
      direction: "inbound",
      status: "delivered",
      content_type: "text",
      body: "Oi, quero um orçamento",
      contact_name: "Cliente",
      phone: from.replace("@c.us", ""),
    });
    // The same delivery again (WAHA retry) and the same message through message.any.
    const retry = await postWaha(channel, "message", payload, { id: "evt_01jfirst" + "x" });
    expect(retry.body.outcome).toBe("duplicate_message");
    const any = await postWaha(channel, "message.any", payload);
    expect(any.body.outcome).toBe("duplicate_message");
    const [{ n }] = (await rows<{ n: number }>(
      sql`select count(*)::int as n from messages where channel_id = ${channel.id} and channel_message_id = ${payload.id}`,
    )) as [{ n: number }];
    expect(n).toBe(1);
    const [session] = await rows<any>(sql`select * from sessions where id = ${first.body.sessionId}`);
    expect(session).toMatchObject({ status: "active", message_count: 1, inbound_count: 1 });
    const topics = await rows<{ topic: string }>(
      sql`select topic from outbox where tenant_id = ${t.tenant.id} and (payload->>'contactId') = ${first.body.contactId} order by id`,
    );
    // One transaction: ids minted in the same millisecond carry no order among themselves.
    expect(topics.map((r) => r.topic).sort()).toEqual(["contact.created", "message.created", "session.created"]);
  });

  it("dedupes by envelope id before anything else", async () => {
    const id = eventId();
    const a = await postWaha(channel, "message", inboundText(`${phone()}@c.us`, "one"), { id });
    const b = await postWaha(channel, "message", inboundText(`${phone()}@c.us`, "two"), { id });
    expect(a.body.outcome).toBe("created");
    expect(b.body.outcome).toBe("duplicate_delivery");
  });

  it("keeps exactly one row when the same message arrives many times at once", async () => {
    const from = `${phone()}@c.us`;
    const payload = inboundText(from, "concurrent");
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => postWaha(channel, i % 2 ? "message.any" : "message", payload)));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.outcome === "created")).toHaveLength(1);
    const [counts] = await rows<any>(sql`
      select (select count(*)::int from messages where channel_message_id = ${payload.id}) as messages,
             (select count(*)::int from contact_identifiers where project_id = ${t.project.id} and value = ${from}) as identifiers,
             (select count(*)::int from contacts where project_id = ${t.project.id} and phone = ${from.replace("@c.us", "")}) as contacts,
             (select count(*)::int from sessions s join contacts c on c.id = s.contact_id
               where c.phone = ${from.replace("@c.us", "")} and s.project_id = ${t.project.id}) as sessions`);
    expect(counts).toEqual({ messages: 1, identifiers: 1, contacts: 1, sessions: 1 });
  });

  it("attaches messages to an existing contact found by phone, and links @lid to it when the engine reveals the phone", async () => {
    const p = phone();
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Known", phone: `+${p}` } })).body;
    const viaPhone = await postWaha(channel, "message", inboundText(`${p}@c.us`, "hello"));
    expect(viaPhone.body.contactId).toBe(contact.id);
    const lid = `${Math.floor(Math.random() * 1e14)}@lid`;
    const viaLid = await postWaha(
      channel,
      "message",
      inboundText(lid, "from lid", { _data: { key: { senderPn: `${p}@s.whatsapp.net` } } }),
    );
    expect(viaLid.body.contactId).toBe(contact.id);
    const later = await postWaha(channel, "message", inboundText(lid, "lid only"));
    expect(later.body.contactId).toBe(contact.id);
    const idents = await rows<{ kind: string }>(sql`select kind from contact_identifiers where contact_id = ${contact.id} order by kind`);
    expect(idents.map((i) => i.kind)).toEqual(["phone", "wa_c_us", "wa_lid"]);
    // An unknown @lid with no phone is a new contact of its own.
    const stranger = await postWaha(channel, "message", inboundText(`${Math.floor(Math.random() * 1e14)}@lid`, "hi"));
    expect(stranger.body.contactId).not.toBe(contact.id);
  });

  it("stores media, voice, stickers, documents, locations and contacts; media without a URL is legal", async () => {
    const from = `${phone()}@c.us`;
    const cases: [Record<string, unknown>, string, Record<string, unknown>][] = [
      [
        { hasMedia: true, body: "foto", media: { url: "http://waha.local/api/files/a.jpeg", mimetype: "image/jpeg", filename: null } },
        "image",
        { media_url: "http://waha.local/api/files/a.jpeg", media_mimetype: "image/jpeg" },
      ],
      [{ hasMedia: true, body: "", media: { url: "http://waha.local/api/files/v.oga", mimetype: "audio/ogg; codecs=opus" } }, "voice", {}],
      [{ hasMedia: true, body: "", media: { url: "http://waha.local/s.webp", mimetype: "image/webp" } }, "sticker", {}],
      [
        { hasMedia: true, body: "", media: { url: "http://waha.local/c.pdf", mimetype: "application/pdf", filename: "contrato.pdf" } },
        "document",
        { media_filename: "contrato.pdf" },
      ],
      [{ hasMedia: true, body: "", media: { url: null, mimetype: "video/mp4", error: null } }, "video", { media_url: null }],
      [{ location: { latitude: -23.55, longitude: -46.63 }, body: "" }, "location", {}],
      [{ vCards: ["BEGIN:VCARD\nFN:Ana\nEND:VCARD"], body: "" }, "contact", {}],
    ];
    for (const [extra, type, expected] of cases) {
      const res = await postWaha(channel, "message", inboundText(from, "x", extra));
      expect(res.status, type).toBe(200);
      const [m] = await rows<any>(sql`select * from messages where id = ${res.body.messageId}`);
      expect(m.content_type, JSON.stringify(extra)).toBe(type);
      expect(m).toMatchObject(expected);
      if (type === "video") expect(m.metadata.mediaPending).toBe(true);
      if (type === "location") expect(m.metadata.location).toEqual({ latitude: -23.55, longitude: -46.63 });
    }
  });

  it("handles groups (participant kept), replies, millisecond timestamps, own phone messages and ignores broadcasts", async () => {
    const group = `1203630${Math.floor(Math.random() * 1e10)}@g.us`;
    const participant = `${phone()}@c.us`;
    const g = await postWaha(channel, "message", inboundText(group, "group hi", { participant }));
    const [gm] = await rows<any>(
      sql`select m.participant, ci.kind
          from messages m join contact_identifiers ci on ci.contact_id = m.contact_id where m.id = ${g.body.messageId}`,
    );
    expect(gm).toEqual({ participant, kind: "wa_group" });

    const from = `${phone()}@c.us`;
    const original = inboundText(from, "original");
    await postWaha(channel, "message", original);
    const ms = Date.now() - 5000;
    const reply = await postWaha(channel, "message", inboundText(from, "reply", { replyTo: { id: original.id }, timestamp: ms }));
    const [rm] = await rows<any>(
      sql`select reply_to_channel_message_id, reply_to_message_id is not null as linked, sent_at
          from messages where id = ${reply.body.messageId}`,
    );
    expect(rm.reply_to_channel_message_id).toBe(original.id);
    expect(rm.linked).toBe(true);
    expect(Math.abs(new Date(rm.sent_at).getTime() - ms)).toBeLessThan(1000);

    const mine = await postWaha(channel, "message.any", {
      ...inboundText("5511900000000@c.us", "sent from the phone"),
      id: `true_${from}_${messageId()}`,
      fromMe: true,
      source: "app",
      to: from,
    });
    expect(mine.body.outcome).toBe("created");
    const [om] = await rows<any>(sql`select direction, status from messages where id = ${mine.body.messageId}`);
    expect(om).toEqual({ direction: "outbound", status: "sent" });
    expect(
      (await postWaha(channel, "message.any", { ...inboundText("5511900000000@c.us", "api echo"), fromMe: true, source: "api", to: from }))
        .body.outcome,
    ).toBe("ignored");
    expect((await postWaha(channel, "message", inboundText("status@broadcast", "story"))).body.outcome).toBe("ignored");
  });

  it("opens a new session after the inactivity timeout and expires the old one", async () => {
    const from = `${phone()}@c.us`;
    const old = Math.floor(Date.now() / 1000) - 3 * 3600;
    const first = await postWaha(channel, "message", inboundText(from, "ontem", { timestamp: old }));
    const second = await postWaha(channel, "message", inboundText(from, "hoje"));
    expect(second.body.sessionId).not.toBe(first.body.sessionId);
    const [s] = await rows<any>(sql`select status, end_reason from sessions where id = ${first.body.sessionId}`);
    expect(s).toEqual({ status: "expired", end_reason: "inactivity" });
    const third = await postWaha(channel, "message", inboundText(from, "de novo"));
    expect(third.body.sessionId).toBe(second.body.sessionId);
  });
});

describe("WAHA webhook: security and bad input", () => {
  let t: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  beforeAll(async () => {
    t = await createActors(db);
    channel = await t.channel();
  });
  const payload = () => inboundText(`5511${Math.floor(1e8 + Math.random() * 8e8)}@c.us`, "x");

  it("rejects missing, wrong, foreign-key and tampered-body signatures with 401 and stores nothing", async () => {
    const p = payload();
    expect((await postWaha(channel, "message", p, { secret: null })).status).toBe(401);
    expect((await postWaha(channel, "message", p, { hmac: "00".repeat(64) })).status).toBe(401);
    expect((await postWaha(channel, "message", p, { secret: "someone-elses-secret-someone-elses" })).status).toBe(401);
    const [{ n }] = (await rows<{ n: number }>(sql`select count(*)::int as n from messages where channel_message_id = ${p.id}`)) as [
      { n: number },
    ];
    expect(n).toBe(0);
    // A tampered body with the signature of the original body fails too.
    const signed = await hmacHex("SHA-512", channel.webhookSecret!, JSON.stringify({ event: "message", payload: p }));
    const tampered = JSON.stringify({ event: "message", payload: { ...p, body: "tampered" } });
    expect((await postWaha(channel, "message", p, { rawBody: tampered, hmac: signed })).status).toBe(401);
    // The same delivery, correctly signed, is then accepted: the refusals above stored nothing that blocks it.
    expect((await postWaha(channel, "message", p)).status).toBe(200);
  });

  it("applies a rotated secret at once", async () => {
    const ch = await t.channel();
    expect((await postWaha(ch, "message", payload())).status).toBe(200);
    const rotated = await api(`/api/v1/channels/${ch.id}/rotate-webhook-secret`, { token: t.keys.admin, method: "POST" });
    expect((await postWaha(ch, "message", payload())).status).toBe(401);
    expect((await postWaha({ ...ch, webhookSecret: rotated.body.webhookSecret }, "message", payload())).status).toBe(200);
  });

  it("never accepts unsigned deliveries: a channel created without a secret gets one", async () => {
    const created = await t.channel({ webhookSecret: null });
    expect(created.webhookSecret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await postWaha(created, "message", payload(), { secret: null })).status).toBe(401);
    expect((await postWaha(created, "message", payload())).status).toBe(200);
    // Through the API too: null means "generate one".
    const viaApi = await api("/api/v1/channels", {
      token: t.keys.admin,
      body: { name: "No secret given", wahaSession: `s-${Date.now()}`, baseUrl: "http://waha.test", webhookSecret: null },
    });
    expect(viaApi.status).toBe(201);
    expect(viaApi.body).toMatchObject({ hasWebhookSecret: true, webhookSecret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    // And the database holds the invariant: no channel without a secret.
    await expect(db.query.execute(sql`update channels set webhook_secret = null where id = ${created.id}`)).rejects.toThrow();
  });

  it("answers 401/404/413 for what it cannot authenticate, 200 rejected for signed input it can never process", async () => {
    const notJson = await postWaha(channel, "message", null, { rawBody: "{not json" });
    expect(notJson).toMatchObject({ status: 200, body: { ok: true, outcome: "rejected", reason: "body is not valid JSON" } });
    const bad = await postWaha(channel, "message", { id: 1, from: null });
    expect(bad).toMatchObject({ status: 200, body: { outcome: "rejected" } });
    expect(bad.body.reason).toContain("payload.from");
    const notWaha = await postWaha(channel, "message", null, { rawBody: JSON.stringify({ hello: "world" }) });
    expect(notWaha).toMatchObject({ status: 200, body: { outcome: "rejected" } });
    expect((await postWaha({ ...channel, id: crypto.randomUUID() }, "message", payload())).status).toBe(404);
    const otherSession = await postWaha(channel, "message", payload(), { session: "other" });
    expect(otherSession).toMatchObject({ status: 200, body: { outcome: "rejected" } });
    expect(otherSession.body.reason).toContain("'other'");
    expect((await postWaha(channel, "message", inboundText("5511@c.us", "y".repeat(600 * 1024)))).status).toBe(413);
    const unknown = await postWaha(channel, "call.received", { id: "call1" });
    expect(unknown).toMatchObject({ status: 200, body: { outcome: "ignored" } });
  });
});
