import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { parseRange } from "../../src/http/routes/media";
import { resolveMediaUrl } from "../../src/integrations/waha/media";
import { WahaMessage } from "../../src/integrations/waha/payloads";
import { hmacHex } from "../../src/lib/crypto";
import { createLogger } from "../../src/lib/logger";
import type { OutboxMessage } from "../../src/outbox/events";
import { LIVE_TOPICS } from "../../src/realtime/live";
import { createServiceContext } from "../../src/services/context";
import { registerMessageMedia } from "../../src/services/media/service";
import { sniffMimeType } from "../../src/services/media/sniff";
import { processDocument } from "../../src/services/memory/documents/service";
import { sendMessageVerb } from "../../src/services/messages/verbs";
import { callVerb } from "../../src/services/verbs/define";
import { forgetWebhookChannel, loadWebhookChannel } from "../../src/services/whatsapp/channel-lookup";
import { ingestMessage } from "../../src/services/whatsapp/ingest";
import { peerKey, peerUrl, queueFaults, uniqueModel } from "../integrations/model-peer";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { memoryContext } from "../support/memory";
import { makePdf } from "../support/pdf";
import { consumeOutboxEvent, deliverToQueue } from "../support/queue";
import { configureSandbox, wahaUrl } from "../support/sandbox";
import { eventId, inboundText, messageId as newMessageId, postWaha } from "../support/waha";

/**
 * Media that lasts (issue 14): inbound files are fetched from the WAHA sandbox with the channel's X-Api-Key, sniffed,
 * capped, stored in R2 and read (offline: PDFs and text for real, audio and images "no provider configured").
 * The tests ingest and register without handing events to the live queue (outbox rows marked published) and run
 * the consumer explicitly, so nothing races them and nothing waits for time to pass.
 */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const WAHA_KEY = "media-waha-key";

const png = () => new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...crypto.getRandomValues(new Uint8Array(300))]);
const ogg = () => {
  const head = new TextEncoder().encode("OggS\u0000\u0002OpusHead");
  return new Uint8Array([...head, ...crypto.getRandomValues(new Uint8Array(500))]);
};
const CONTRACT = [
  "CONTRATO DE LOCACAO No 77/2026\nLocador: Imobiliaria Horizonte Azul Ltda. Locatario: Marcos Tavares.",
  "Clausula 3 - Do aluguel. O aluguel mensal e de R$ 3.870,00 (tres mil oitocentos e setenta reais), vencendo todo dia 5.",
];

async function putFile(session: string, bytes: Uint8Array, mimetype: string, q: Record<string, string> = {}) {
  const params = new URLSearchParams({ session, mimetype, name: `${crypto.randomUUID()}`, ...q });
  const res = await fetch(`${wahaUrl()}/__sandbox/files?${params}`, { method: "POST", body: bytes });
  return (await res.json()) as { url: string; path: string; publicUrl: string };
}
const downloads = async (path: string) =>
  ((await (await fetch(`${wahaUrl()}/__sandbox/files`)).json()) as Record<string, { downloads: number }>)[path]?.downloads ?? 0;

const row = async (messageId: string) =>
  (await db.query.execute<any>(sql`select * from message_media where message_id = ${messageId}`)).rows[0];
const markPublished = (ids: string[]) =>
  ids.length
    ? db.query.execute(sql`update outbox set published_at = now() where id in ${sql.raw(`(${ids.map((id) => `'${id}'`).join(",")})`)}`)
    : null;

describe("media that lasts, and enrichment", () => {
  let t: Actors;
  let session: string;
  let channel: { id: string; wahaSession: string; webhookSecret: string | null };
  const phone = `55119${Math.floor(1e7 + Math.random() * 8e7)}`;
  const from = `${phone}@c.us`;
  const system = () =>
    createServiceContext(
      db,
      { tenantId: t.tenant.id, projectId: t.project.id, role: "admin", actor: { type: "system", id: "test" } },
      createLogger({ test: true }, "error"),
    );

  beforeAll(async () => {
    t = await createActors(db);
    session = `media-${crypto.randomUUID().slice(0, 8)}`;
    channel = (await t.channel({ wahaSession: session, baseUrl: wahaUrl(), apiKey: WAHA_KEY })) as never;
    await configureSandbox({ name: session, apiKey: WAHA_KEY });
  });

  /** A WAHA `message` with media, ingested as the webhook does (one SQL function), its events kept off the live queue. */
  async function receive(media: Record<string, unknown> | null, extra: Record<string, unknown> = {}) {
    forgetWebhookChannel(channel.id);
    const hook = (await loadWebhookChannel(db, channel.id))!;
    const payload = WahaMessage.parse(inboundText(from, String(extra.body ?? ""), { hasMedia: true, media, ...extra }));
    const out = await ingestMessage(db, hook, { eventId: eventId(), event: "message" }, payload);
    if (out.outcome !== "created") throw new Error(`ingest: ${JSON.stringify(out)}`);
    await markPublished(out.outboxIds);
    // What the `message.created` consumer does first for a message with a file.
    const ctx = system();
    await registerMessageMedia(ctx, out.messageId);
    await markPublished(ctx.outbox.takeWritten());
    return out;
  }

  /** Runs the queue consumer on the message's `media.received` event, as the Queues runtime would. */
  async function consumeMedia(messageId: string, opts: { attempts?: number; env?: Env; redelivery?: boolean } = {}) {
    const { rows } = await db.query.execute<any>(
      sql`select * from outbox where topic = 'media.received' and payload->>'messageId' = ${messageId} order by id desc limit 1`,
    );
    const event = rows[0];
    const body: OutboxMessage = {
      // A redelivery that the consumer's dedupe does not catch (its record was lost): the service must not redo the work.
      id: opts.redelivery ? crypto.randomUUID() : event.id,
      topic: "media.received",
      tenantId: t.tenant.id,
      projectId: t.project.id,
      payload: event.payload,
      createdAt: new Date().toISOString(),
    };
    const result = await deliverToQueue(body, { attempts: opts.attempts, env: opts.env });
    return { acked: result.explicitAcks.length === 1, retried: result.retryMessages.length === 1 };
  }

  const mediaGet = (messageId: string, token?: string, headers: Record<string, string> = {}) =>
    exports.default.fetch(`http://crm.test/api/v1/messages/${messageId}/media`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });

  let imageMessage: string;
  let imageBytes: Uint8Array;
  let imagePath: string;

  it("an image is fetched with the channel's key, sniffed (not trusted), stored in R2 under the tenant/project/contact", async () => {
    imageBytes = png();
    const file = await putFile(session, imageBytes, "application/octet-stream");
    imagePath = file.path;
    const out = await receive({ url: file.url, mimetype: "image/jpeg", filename: null }, { body: "segue a foto" });
    imageMessage = out.messageId;
    expect(await consumeMedia(imageMessage)).toEqual({ acked: true, retried: false });

    const r = await row(imageMessage);
    const sha = [...new Uint8Array(await crypto.subtle.digest("SHA-256", imageBytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(r).toMatchObject({
      status: "stored",
      mime_type: "image/png",
      declared_mime_type: "image/jpeg",
      bytes: imageBytes.length,
      sha256: sha,
      storage_key: `${t.tenant.id}/${t.project.id}/media/${out.contactId}/${imageMessage}`,
      error: null,
      // Offline: no vision provider, said so — nothing invented.
      enrichment_status: "not_configured",
      enrichment_kind: "description",
      enrichment_error: "no provider configured (VISION_PROVIDER=none)",
      enrichment: null,
    });
    const object = await env.DOCUMENTS.get(r.storage_key);
    expect(object?.httpMetadata?.contentType).toBe("image/png");
    expect(new Uint8Array(await object!.arrayBuffer())).toEqual(imageBytes);
    expect(await downloads(imagePath)).toBe(1);

    // The outcome is on the live feed and the timeline (no timeline row for "not configured": nothing happened).
    const { rows: events } = await db.query.execute<any>(
      sql`select topic, payload from outbox where payload->>'messageId' = ${imageMessage}
          and topic in ('media.status_changed', 'message.enriched') order by id`,
    );
    expect(events.map((e: any) => [e.topic, e.payload.status])).toEqual([
      ["media.status_changed", "stored"],
      ["message.enriched", "not_configured"],
    ]);
    expect(events[0].payload.sessionId).toBe(out.sessionId);
  });

  it("message.enriched reaches the session's WebSocket room", async () => {
    const { rows } = await db.query.execute<any>(
      sql`select o.*, m.session_id from outbox o join messages m on m.id = (o.payload->>'messageId')::uuid
          where o.topic = 'message.enriched' and o.payload->>'messageId' = ${imageMessage}`,
    );
    const event = rows[0];
    // since=0: the room replays what it holds, so the frame comes whether the live queue or this push shows it first.
    const res = await exports.default.fetch(
      `http://crm.test/api/v1/sessions/${event.session_id}/realtime?since=0&access_token=${t.keys.readonly}`,
      { headers: { Upgrade: "websocket" } },
    );
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    ws.accept();
    const frames: any[] = [];
    ws.addEventListener("message", (e) => {
      if (String(e.data).startsWith("{")) frames.push(JSON.parse(String(e.data)));
    });
    const body: OutboxMessage = {
      id: event.id,
      topic: "message.enriched",
      tenantId: t.tenant.id,
      projectId: t.project.id,
      payload: event.payload,
      createdAt: new Date().toISOString(),
    };
    await deliverToQueue(body, { deliveryId: `q-${event.id}-ws` });
    const enriched = (f: any[]) =>
      f.find((x) => x.type === "event" && x.topic === "message.enriched" && x.payload.messageId === imageMessage);
    await expect.poll(() => Boolean(enriched(frames)), { timeout: 15_000, interval: 50 }).toBe(true);
    expect(enriched(frames).payload).toMatchObject({ status: "not_configured", kind: "description", sessionId: event.session_id });
    ws.close();
  });

  it("re-delivery neither downloads nor stores twice: a redelivered event, a re-run registration, a duplicate webhook", async () => {
    expect(await consumeMedia(imageMessage, { redelivery: true })).toEqual({ acked: true, retried: false });
    const ctx = system();
    expect(await registerMessageMedia(ctx, imageMessage)).not.toBeNull();
    expect(ctx.outbox.takeWritten()).toHaveLength(1); // built, but the guarded insert wrote nothing
    const { rows } = await db.query.execute<any>(
      sql`select count(*)::int as n from outbox where topic = 'media.received' and payload->>'messageId' = ${imageMessage}`,
    );
    expect(rows[0].n).toBe(1);
    expect(
      (await db.query.execute<any>(sql`select count(*)::int as n from message_media where message_id = ${imageMessage}`)).rows[0].n,
    ).toBe(1);
    expect(await downloads(imagePath)).toBe(1);

    // The same WAHA delivery twice through the webhook: one message, one media row.
    const file = await putFile(session, png(), "image/png");
    const payload = inboundText(from, "", { hasMedia: true, media: { url: file.url, mimetype: "image/png", filename: null } });
    const id = eventId();
    expect((await postWaha(channel, "message", payload, { id })).status).toBe(200);
    expect((await postWaha(channel, "message", payload, { id })).body).toMatchObject({ outcome: "duplicate_delivery" });
    const { rows: msgs } = await db.query.execute<any>(sql`select id from messages where channel_message_id = ${payload.id}`);
    expect(msgs).toHaveLength(1);
    await registerMessageMedia(system(), msgs[0].id);
    await registerMessageMedia(system(), msgs[0].id);
    expect(
      (await db.query.execute<any>(sql`select count(*)::int as n from message_media where message_id = ${msgs[0].id}`)).rows[0].n,
    ).toBe(1);
  });

  it("a voice note ends in R2 as audio/ogg; offline its transcript is 'no provider configured'", async () => {
    const bytes = ogg();
    const file = await putFile(session, bytes, "audio/ogg; codecs=opus");
    const out = await receive({ url: file.url, mimetype: "audio/ogg; codecs=opus", filename: null }, { _data: { type: "ptt" } });
    expect(await consumeMedia(out.messageId)).toEqual({ acked: true, retried: false });
    const r = await row(out.messageId);
    expect(r).toMatchObject({
      status: "stored",
      mime_type: "audio/ogg",
      bytes: bytes.length,
      enrichment_status: "not_configured",
      enrichment_kind: "transcript",
      enrichment_error: "no provider configured (TRANSCRIPTION_PROVIDER=none)",
    });
    expect((await env.DOCUMENTS.head(r.storage_key))?.httpMetadata?.contentType).toBe("audio/ogg");
    const msg = (await db.query.execute<any>(sql`select content_type, metadata from messages where id = ${out.messageId}`)).rows[0];
    expect(msg.content_type).toBe("voice");
    expect(msg.metadata.enrichment).toMatchObject({ status: "not_configured", kind: "transcript", provider: null, model: null });
  });

  let pdfMessage: string;
  let pdfContact: string;

  it("a PDF ends in R2 as application/pdf and becomes a document of the contact (source whatsapp), searchable by its pages", async () => {
    const bytes = makePdf(CONTRACT);
    const file = await putFile(session, bytes, "application/pdf", { filename: "contrato-locacao.pdf" });
    const out = await receive({ url: file.url, mimetype: "application/pdf", filename: "contrato-locacao.pdf" });
    pdfMessage = out.messageId;
    pdfContact = out.contactId;
    expect(await consumeMedia(pdfMessage)).toEqual({ acked: true, retried: false });
    const r = await row(pdfMessage);
    expect(r).toMatchObject({ status: "stored", mime_type: "application/pdf", enrichment_status: "done", enrichment_kind: "document" });
    expect(r.enrichment_provider).toBe("ventros/memory-documents");
    const documentId = r.enrichment.documentId;
    const doc = (await db.query.execute<any>(sql`select * from documents where id = ${documentId}`)).rows[0];
    expect(doc).toMatchObject({ contact_id: pdfContact, source: "whatsapp", mime_type: "application/pdf", title: "contrato-locacao.pdf" });

    // The memory service's own processing (what `document.uploaded` runs).
    await processDocument(memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id }), documentId);
    const res = await api("/v1/mcp/execute", {
      token: t.keys.readonly,
      body: { tool_name: "search_documents", arguments: { query: "qual o valor do aluguel mensal?", limit: 3, contact_id: pdfContact } },
    });
    expect(res.status).toBe(200);
    const top = res.body.result.documents[0];
    expect(top).toMatchObject({ document_id: documentId, page_number: 2 });
    expect(top.content).toContain("R$ 3.870,00");

    // The timeline tells the story.
    const { rows: timeline } = await db.query.execute<any>(
      sql`select type, title, payload from contact_events where contact_id = ${pdfContact} and type = 'message.enriched'`,
    );
    expect(timeline).toHaveLength(1);
    expect(timeline[0]).toMatchObject({ title: "Document received", payload: { messageId: pdfMessage, documentId, status: "done" } });
  });

  it("get_message_group and list_message_groups carry the stored media and the enrichments", async () => {
    const res = await api("/v1/mcp/execute", {
      token: t.keys.readonly,
      body: { tool_name: "get_message_group", arguments: { group_id: imageMessage, window_seconds: 3600 } },
    });
    expect(res.status).toBe(200);
    const messages = res.body.result.messages as any[];
    const image = messages.find((m) => m.id === imageMessage);
    expect(image.media).toMatchObject({
      status: "stored",
      mimetype: "image/png",
      url: `/api/v1/messages/${imageMessage}/media`,
      pending: false,
    });
    expect(image.enrichment).toMatchObject({
      status: "not_configured",
      kind: "description",
      error: "no provider configured (VISION_PROVIDER=none)",
    });
    const pdf = messages.find((m) => m.id === pdfMessage);
    expect(pdf?.enrichment).toMatchObject({ status: "done", kind: "document", provider: "ventros/memory-documents" });
    expect(pdf?.enrichment.documentId ?? pdf?.enrichment.document_id).toBeTruthy();

    const list = await api(`/api/v1/messages?contactId=${pdfContact}`, { token: t.keys.readonly });
    const listed = list.body.data.find((m: any) => m.id === pdfMessage);
    expect(listed.media).toMatchObject({ status: "stored", mimeType: "application/pdf", enrichment: { status: "done", kind: "document" } });
    // WAHA's link (it needs WAHA's key and dies with its file cleanup) gives way to our copy.
    expect(listed.mediaUrl).toBe(`/api/v1/messages/${pdfMessage}/media`);
    expect(JSON.stringify(list.body.data.map((m: any) => m.mediaUrl))).not.toContain("/api/files/");
  });

  it("media.url null: WAHA is asked for the message's media; without it (or an engine that cannot) the media is unavailable", async () => {
    // WAHA knows the message and downloads its media on demand.
    const id = newMessageId();
    const waId = `false_${from}_${id}`;
    const bytes = png();
    const file = await putFile(session, bytes, "image/png", { messageId: waId });
    const found = await receive({ url: null, mimetype: "image/png", filename: null }, { id: waId });
    expect(await consumeMedia(found.messageId)).toEqual({ acked: true, retried: false });
    expect(await row(found.messageId)).toMatchObject({ status: "stored", mime_type: "image/png", bytes: bytes.length });
    expect(await downloads(file.path)).toBe(1);

    // WAHA does not have it.
    const missing = await receive({ url: null, mimetype: "image/jpeg", filename: null });
    expect(await consumeMedia(missing.messageId)).toEqual({ acked: true, retried: false });
    const m = await row(missing.messageId);
    expect(m).toMatchObject({ status: "unavailable", storage_key: null, enrichment_status: "not_applicable" });
    expect(m.error).toMatch(/^media\.url was null and WAHA does not know the message/);

    // An engine without on-demand media download.
    const other = `media-${crypto.randomUUID().slice(0, 8)}`;
    await configureSandbox({ name: other, apiKey: WAHA_KEY, mediaLookup: false });
    await db.query.execute(sql`update channels set waha_session = ${other} where id = ${channel.id}`);
    try {
      const unsupported = await receive({ url: null, mimetype: "audio/ogg", filename: null });
      expect(await consumeMedia(unsupported.messageId)).toEqual({ acked: true, retried: false });
      const u = await row(unsupported.messageId);
      expect(u.status).toBe("unavailable");
      expect(u.error).toMatch(/engine cannot fetch one message's media \(HTTP 501\)/);
    } finally {
      await db.query.execute(sql`update channels set waha_session = ${session} where id = ${channel.id}`);
    }
  });

  it("oversized media is refused by the cap (MEDIA_MAX_BYTES) without being stored", async () => {
    const file = await putFile(session, png(), "image/png");
    const out = await receive({ url: file.url, mimetype: "image/png", filename: null });
    expect(await consumeMedia(out.messageId, { env: { ...env, MEDIA_MAX_BYTES: "100" } as Env })).toEqual({ acked: true, retried: false });
    const r = await row(out.messageId);
    expect(r).toMatchObject({ status: "too_large", storage_key: null, bytes: 308, enrichment_status: "not_applicable" });
    expect(r.error).toBe("the file is larger than MEDIA_MAX_BYTES (100 bytes): 308 bytes");
    expect(
      (await env.DOCUMENTS.list({ prefix: `${t.tenant.id}/${t.project.id}/media/${out.contactId}/${out.messageId}` })).objects,
    ).toHaveLength(0);
  });

  it("a WAHA 404 (files cleaned after WHATSAPP_FILES_LIFETIME) ends unavailable at once, not in a retry storm", async () => {
    const out = await receive({ url: `${wahaUrl()}/api/files/${session}/gone.jpg`, mimetype: "image/jpeg", filename: null });
    expect(await consumeMedia(out.messageId)).toEqual({ acked: true, retried: false });
    const r = await row(out.messageId);
    expect(r).toMatchObject({ status: "unavailable", attempts: 1 });
    expect(r.error).toMatch(/no longer has the file \(HTTP 404/);
    // The live room hears it.
    const { rows } = await db.query.execute<any>(
      sql`select payload from outbox where topic = 'media.status_changed' and payload->>'messageId' = ${out.messageId}`,
    );
    expect(rows[0].payload).toMatchObject({ status: "unavailable", sessionId: out.sessionId });
  });

  it("a wrong API key is a visible failure naming the key, never retried; a failing media server is retried, then failed", async () => {
    const other = `media-${crypto.randomUUID().slice(0, 8)}`;
    await configureSandbox({ name: other, apiKey: "another-key" });
    const file = await putFile(other, png(), "image/png");
    const out = await receive({ url: file.url, mimetype: "image/png", filename: null });
    expect(await consumeMedia(out.messageId)).toEqual({ acked: true, retried: false });
    expect((await row(out.messageId)).error).toBe("the media server refused the download (HTTP 401; check the channel's API key)");

    // A media server that fails (503) is retried with backoff: the next delivery stores it.
    const flaky = await putFile(session, png(), "image/png", { failFirst: "1" });
    const later = await receive({ url: flaky.url, mimetype: "image/png", filename: null });
    expect(await consumeMedia(later.messageId, { attempts: 1 })).toEqual({ acked: false, retried: true });
    expect(await row(later.messageId)).toMatchObject({ status: "pending", attempts: 1, error: "retrying: the media server answered 503" });
    expect(await consumeMedia(later.messageId, { attempts: 2, redelivery: true })).toEqual({ acked: true, retried: false });
    expect(await row(later.messageId)).toMatchObject({ status: "stored", attempts: 2, error: null });

    // One that keeps failing ends visibly failed on the last delivery, with the reason.
    const down = await putFile(session, png(), "image/png", { failFirst: "100" });
    const never = await receive({ url: down.url, mimetype: "image/png", filename: null });
    expect(await consumeMedia(never.messageId, { attempts: 6 })).toEqual({ acked: true, retried: false });
    const failed = await row(never.messageId);
    expect(failed.status).toBe("failed");
    expect(failed.error).toBe("gave up after retries: the media server answered 503");
  });

  it("GET /messages/{id}/media streams to the project's users (Range); other tenants and anonymous callers are refused", async () => {
    const whole = await mediaGet(imageMessage, t.keys.readonly);
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("image/png");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(whole.headers.get("content-disposition")).toMatch(/^inline; filename="/);
    expect(whole.headers.get("x-content-type-options")).toBe("nosniff");
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(imageBytes);

    const part = await mediaGet(imageMessage, t.keys.user, { range: "bytes=2-9" });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 2-9/${imageBytes.length}`);
    expect(new Uint8Array(await part.arrayBuffer())).toEqual(imageBytes.slice(2, 10));
    const tail = await mediaGet(imageMessage, t.keys.user, { range: "bytes=-4" });
    expect(tail.status).toBe(206);
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(imageBytes.slice(-4));
    const beyond = await mediaGet(imageMessage, t.keys.user, { range: `bytes=${imageBytes.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${imageBytes.length}`);
    await beyond.body?.cancel();

    const anonymous = await mediaGet(imageMessage);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const stranger = await createActors(db);
    const foreign = await mediaGet(imageMessage, stranger.keys.admin);
    expect(foreign.status).toBe(404);
    await foreign.body?.cancel();
    expectError(await api(`/api/v1/messages/${imageMessage}/media/url`, { token: stranger.keys.admin }), 404, "not_found");

    // Media that is not stored says what it is.
    const { rows } = await db.query.execute<any>(
      sql`select message_id from message_media where project_id = ${t.project.id} and status = 'unavailable' limit 1`,
    );
    const notStored = await api(`/api/v1/messages/${rows[0].message_id}/media`, { token: t.keys.readonly });
    expectError(notStored, 409, "conflict");
    expect(notStored.body.error.details.status).toBe("unavailable");
  });

  it("a signed URL serves the file without a bearer token until it expires; a tampered or expired one is 403", async () => {
    const link = await api(`/api/v1/messages/${imageMessage}/media/url`, { token: t.keys.readonly });
    expect(link.status).toBe(200);
    const url = new URL(link.body.url, "http://crm.test");
    expect(url.pathname).toBe(`/media/${imageMessage}`);
    expect(Date.parse(link.body.expiresAt)).toBeGreaterThan(Date.now());
    const ok = await exports.default.fetch(`http://crm.test${url.pathname}${url.search}`, { headers: { range: "bytes=0-3" } });
    expect(ok.status).toBe(206);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(imageBytes.slice(0, 4));

    const tampered = new URLSearchParams(url.search);
    tampered.set("e", String(Number(tampered.get("e")) + 3600));
    const bad = await api(`${url.pathname}?${tampered}`);
    expectError(bad, 403, "forbidden");
    // Correctly signed, but in the past.
    const past = Math.floor(Date.now() / 1000) - 1;
    const sig = await hmacHex("SHA-256", env.JWT_SECRET, `media:v1:${t.tenant.id}:${t.project.id}:${imageMessage}:${past}`);
    expectError(await api(`/media/${imageMessage}?t=${t.tenant.id}&p=${t.project.id}&e=${past}&s=${sig}`), 403, "forbidden");
    // Another project's ids under this message's signature do not open it.
    const stranger = await createActors(db);
    const forged = new URLSearchParams(url.search);
    forged.set("p", stranger.project.id);
    expectError(await api(`${url.pathname}?${forged}`), 403, "forbidden");
    expectError(await api(`/media/${imageMessage}`), 403, "forbidden");
  });

  it("outbound media sent through the API is stored the same way (not read: it is ours)", async () => {
    const bytes = png();
    const file = await putFile(session, bytes, "image/png");
    const contact = (await db.query.execute<any>(sql`select contact_id from messages where id = ${imageMessage}`)).rows[0].contact_id;
    const ctx = createServiceContext(db, { ...t.ctx.principal, role: "user" }, t.ctx.log);
    const sent = (await callVerb(sendMessageVerb, ctx, {
      contactId: contact,
      contentType: "image",
      text: "o boleto",
      // The business's own file host: WAHA's file URLs need its key, which never goes with a caller's URL.
      media: { url: file.publicUrl, mimetype: "image/png" },
    })) as { id: string };
    await markPublished(ctx.outbox.takeWritten());
    const reg = system();
    await registerMessageMedia(reg, sent.id);
    await markPublished(reg.outbox.takeWritten());
    expect(await consumeMedia(sent.id)).toEqual({ acked: true, retried: false });
    expect(await row(sent.id)).toMatchObject({
      direction: "outbound",
      status: "stored",
      mime_type: "image/png",
      enrichment_status: "not_applicable",
    });
  });

  it("with providers configured (the model peer's honest stand-ins), a voice note is transcribed and an image described", async () => {
    const transcriber = uniqueModel("offline-stand-in-transcriber");
    const vision = uniqueModel("offline-stand-in-vision");
    const providers = {
      ...env,
      TRANSCRIPTION_PROVIDER: "openai",
      TRANSCRIPTION_BASE_URL: `${peerUrl()}/v1`,
      TRANSCRIPTION_MODEL: transcriber,
      TRANSCRIPTION_API_KEY: peerKey(),
      VISION_PROVIDER: "openai",
      VISION_BASE_URL: `${peerUrl()}/v1`,
      VISION_MODEL: vision,
      VISION_API_KEY: peerKey(),
    } as unknown as Env;
    const voice = ogg();
    const file = await putFile(session, voice, "audio/ogg; codecs=opus");
    const out = await receive({ url: file.url, mimetype: "audio/ogg; codecs=opus", filename: null }, { _data: { type: "ptt" } });
    // The provider is down on the first delivery: stored once, enrichment retried with backoff.
    await queueFaults(transcriber, "500");
    expect(await consumeMedia(out.messageId, { env: providers, attempts: 1 })).toEqual({ acked: false, retried: true });
    expect(await row(out.messageId)).toMatchObject({ status: "stored", enrichment_status: "pending", enrichment_attempts: 1 });
    expect((await row(out.messageId)).enrichment_error).toBe(`retrying: openai model ${transcriber} is unavailable: it answered HTTP 500`);
    expect(await consumeMedia(out.messageId, { env: providers, attempts: 2, redelivery: true })).toEqual({ acked: true, retried: false });
    const r = await row(out.messageId);
    expect(r).toMatchObject({
      enrichment_status: "done",
      enrichment_kind: "transcript",
      enrichment_provider: "openai",
      enrichment_model: transcriber,
      enrichment_error: null,
    });
    expect(r.enrichment.transcript).toBe(
      `[${transcriber}: a stand-in that recognises no speech; received ${voice.length} bytes of audio/ogg]`,
    );
    expect(await downloads(file.path)).toBe(1);
    const { rows: enriched } = await db.query.execute<any>(
      sql`select payload from outbox where topic = 'message.enriched' and payload->>'messageId' = ${out.messageId}`,
    );
    expect(enriched).toHaveLength(1);
    expect(enriched[0].payload).toMatchObject({
      status: "done",
      kind: "transcript",
      provider: "openai",
      model: transcriber,
      sessionId: out.sessionId,
    });
    const { rows: timeline } = await db.query.execute<any>(
      sql`select title from contact_events where type = 'message.enriched' and payload->>'messageId' = ${out.messageId}`,
    );
    expect(timeline).toEqual([{ title: "Voice note transcribed" }]);
    const groups = await api("/v1/mcp/execute", {
      token: t.keys.readonly,
      body: { tool_name: "list_message_groups", arguments: { session_id: out.sessionId, window_seconds: 3600 } },
    });
    const group = groups.body.result.groups.find((g: any) => g.message_ids.includes(out.messageId));
    expect(group.text).toContain(`[${transcriber}: a stand-in that recognises no speech`);

    const image = png();
    const picture = await putFile(session, image, "image/png");
    const seen = await receive({ url: picture.url, mimetype: "image/png", filename: null });
    expect(await consumeMedia(seen.messageId, { env: providers })).toEqual({ acked: true, retried: false });
    expect((await row(seen.messageId)).enrichment).toEqual({
      description: `[${vision}: a stand-in that sees no image; received ${image.length} bytes of image/png]`,
      visibleText: null,
    });
    // What was read is searchable memory of those messages, by the words read (a transcript, a description).
    const memory = await db.query.execute<{ message_id: string; content_subtype: string; content_text: string }>(
      sql`select message_id, content_subtype, content_text from memory_embeddings
          where message_id in (${out.messageId}, ${seen.messageId}) and content_type = 'message' order by content_subtype`,
    );
    expect(memory.rows.map((r) => [r.message_id, r.content_subtype])).toEqual([
      [seen.messageId, "description"],
      [out.messageId, "transcript"],
    ]);
    expect(memory.rows[1]!.content_text).toContain("a stand-in that recognises no speech");

    // A provider that stays down ends visibly failed on the last delivery, with the reason and without the key.
    const again = await receive({ url: (await putFile(session, ogg(), "audio/ogg")).url, mimetype: "audio/ogg", filename: null });
    await queueFaults(transcriber, "500");
    expect(await consumeMedia(again.messageId, { env: providers, attempts: 6 })).toEqual({ acked: true, retried: false });
    const failed = await row(again.messageId);
    expect(failed).toMatchObject({
      status: "stored",
      enrichment_status: "failed",
      enrichment_provider: "openai",
      enrichment_model: transcriber,
    });
    expect(failed.enrichment_error).toBe(`gave up after retries: openai model ${transcriber} is unavailable: it answered HTTP 500`);
    expect(JSON.stringify(failed)).not.toContain(peerKey());
  });

  it("deleting the contact erases its media objects from R2 (LGPD/GDPR) and what was read from them", async () => {
    const before = await env.DOCUMENTS.list({ prefix: `${t.tenant.id}/${t.project.id}/media/${pdfContact}/` });
    expect(before.objects.length).toBeGreaterThan(0);
    // The PDF the contact sent, read into memory: its document, chunks and original go too.
    const [sentDoc] = (
      await db.query.execute<{ id: string; storage_key: string }>(
        sql`select id, storage_key from documents where contact_id = ${pdfContact} and source = 'whatsapp'`,
      )
    ).rows;
    expect(sentDoc).toBeDefined();
    // A file still waiting in the queue when the contact goes.
    const late = await putFile(session, png(), "image/png");
    const waiting = await receive({ url: late.url, mimetype: "image/png", filename: null });
    expect(waiting.contactId).toBe(pdfContact);
    expect((await api(`/api/v1/contacts/${pdfContact}`, { token: t.keys.admin, method: "DELETE" })).status).toBe(204);
    await consumeOutboxEvent(db, { tenantId: t.tenant.id, projectId: t.project.id }, "contact.deleted", { contactId: pdfContact });
    const after = await env.DOCUMENTS.list({ prefix: `${t.tenant.id}/${t.project.id}/media/${pdfContact}/` });
    expect(after.objects).toHaveLength(0);
    expect(await row(pdfMessage)).toMatchObject({
      status: "unavailable",
      storage_key: null,
      error: "erased with the contact",
      enrichment: null,
    });
    const msg = (await db.query.execute<any>(sql`select metadata from messages where id = ${pdfMessage}`)).rows[0];
    expect(msg.metadata.enrichment).toBeUndefined();
    const left = await db.query.execute<{ n: number }>(
      sql`select (select count(*) from documents where id = ${sentDoc!.id})::int
               + (select count(*) from memory_embeddings where document_id = ${sentDoc!.id})::int as n`,
    );
    expect(left.rows[0]!.n).toBe(0);
    expect(await env.DOCUMENTS.get(sentDoc!.storage_key)).toBeNull();
    // The waiting file is not fetched for an erased contact.
    expect(await consumeMedia(waiting.messageId)).toEqual({ acked: true, retried: false });
    expect(await row(waiting.messageId)).toMatchObject({ status: "unavailable", error: "erased with the contact", storage_key: null });
    expect(await downloads(late.path)).toBe(0);
  });
});

describe("media type sniffing", () => {
  it("trusts bytes over declarations", () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    expect(sniffMimeType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0]), "application/pdf")).toBe("image/jpeg");
    expect(sniffMimeType(enc("%PDF-1.7\n..."), "image/png")).toBe("application/pdf");
    expect(sniffMimeType(enc("OggS\u0000\u0002OpusHead"), "application/octet-stream")).toBe("audio/ogg");
    expect(sniffMimeType(enc("RIFF\u0000\u0000\u0000\u0000WEBPVP8 "), null)).toBe("image/webp");
    expect(sniffMimeType(enc("Olá, segue o texto."), "text/html")).toBe("text/plain");
    expect(sniffMimeType(new Uint8Array([0x4d, 0x5a, 0x90, 0x00, 0x03]), "image/jpeg")).toBe("application/octet-stream");
    // A zip keeps a declared Office type only when it is one plain token: it becomes the Content-Type we serve.
    const zip = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x3c, 0x68]);
    const docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    expect(sniffMimeType(zip, docx)).toBe(docx);
    expect(sniffMimeType(zip, "application/vnd.oasis.opendocument.text, text/html")).toBe("application/zip");
    expect(sniffMimeType(zip, "application/vnd.oasis.x\r\nx-evil: 1")).toBe("application/zip");
  });

  it("sends WAHA's key only with WAHA's own file paths, only for URLs WAHA gave, and never for a caller's URL", () => {
    const waha = { fromWaha: true };
    expect(resolveMediaUrl("http://waha.internal:3000", "http://localhost:3000/api/files/s1/a.jpeg?x=1", waha)).toEqual({
      url: "http://waha.internal:3000/api/files/s1/a.jpeg?x=1",
      withKey: true,
    });
    expect(resolveMediaUrl("https://waha.example/base", "https://waha.example/api/files/a.ogg", waha)).toEqual({
      url: "https://waha.example/api/files/a.ogg",
      withKey: true,
    });
    expect(resolveMediaUrl("https://waha.example", "https://cdn.elsewhere.example/a.jpg", waha)).toEqual({
      url: "https://cdn.elsewhere.example/a.jpg",
      withKey: false,
    });
    // WAHA's API (sessions, chats, webhook secrets) is not a file path: no key, even on the channel's origin.
    expect(resolveMediaUrl("https://waha.example", "https://waha.example/api/sessions", waha)?.withKey).toBe(false);
    expect(
      resolveMediaUrl("https://waha.example", "https://waha.example/api/s1/chats/x/messages/y?downloadMedia=true", waha)?.withKey,
    ).toBe(false);
    // A URL a caller gave (outbound media) is fetched as given: never re-based onto WAHA, never with its key.
    const caller = { fromWaha: false };
    expect(resolveMediaUrl("https://waha.example", "https://waha.example/api/files/a.jpg", caller)?.withKey).toBe(false);
    expect(resolveMediaUrl("https://waha.example", "https://attacker.example/api/files/a.jpg", caller)).toEqual({
      url: "https://attacker.example/api/files/a.jpg",
      withKey: false,
    });
    expect(resolveMediaUrl("https://waha.example", "file:///etc/passwd", waha)).toBeNull();
    expect(resolveMediaUrl(null, "https://waha.example/api/files/a.jpg", waha)?.withKey).toBe(false);
  });

  it("reads one byte range the way players ask, and says when it is outside the file", () => {
    expect(parseRange(undefined, 100)).toBeNull();
    expect(parseRange("bytes=0-9", 100)).toEqual({ offset: 0, length: 10 });
    expect(parseRange("bytes=90-", 100)).toEqual({ offset: 90, length: 10 });
    expect(parseRange("bytes=95-200", 100)).toEqual({ offset: 95, length: 5 });
    expect(parseRange("bytes=-30", 100)).toEqual({ offset: 70, length: 30 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=5-2", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 100)).toBeNull();
    expect(parseRange("items=0-1", 100)).toBeNull();
  });

  it("media events reach the project's feed and the session's room", () => {
    expect(LIVE_TOPICS).toContain("message.enriched");
    expect(LIVE_TOPICS).toContain("media.status_changed");
  });
});
