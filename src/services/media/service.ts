import { and, eq, inArray, isNull, lt, or, type SQL, sql } from "drizzle-orm";
import { type Database, schema } from "../../db";
import type { WahaChannelConfig } from "../../integrations/waha/client";
import { WahaError } from "../../integrations/waha/client";
import { downloadMedia, lookupMessageMedia, resolveMediaUrl } from "../../integrations/waha/media";
import { hmacHex, timingSafeEqual, toHex } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import type { OutboxRow } from "../../outbox/writer";
import type { ServiceContext } from "../context";
import { uploadDocument } from "../memory/documents/service";
import { embedMediaReading } from "../memory/ingest";
import { findScoped } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";
import type { ImageDescriber, Transcriber } from "./enrichers";
import { enrichmentKindOf, fileNameFor, sniffMimeType } from "./sniff";

const mm = schema.messageMedia;
const m = schema.messages;
export type MediaRow = typeof mm.$inferSelect;

/** Content types that carry a file. */
const MEDIA_CONTENT_TYPES = new Set(["image", "video", "audio", "voice", "document", "sticker"]);

/** What storing and enriching media needs from outside the database; the queue transport builds it from its bindings. */
export interface MediaDeps {
  /** The R2 bucket media objects live in (DOCUMENTS, under `{tenant}/{project}/media/`). */
  bucket: R2Bucket;
  maxBytes: number;
  timeoutMs: number;
  transcriber: Transcriber | null;
  describer: ImageDescriber | null;
}

/** `{tenant}/{project}/media/{contact}/{message}`: erasing a contact deletes everything under its prefix. */
export const mediaKey = (p: { tenantId: string; projectId: string }, contactId: string, messageId: string) =>
  `${p.tenantId}/${p.projectId}/media/${contactId}/${messageId}`;
const contactPrefix = (p: { tenantId: string; projectId: string }, contactId: string) => `${p.tenantId}/${p.projectId}/media/${contactId}/`;

/** The feed's and the room's view of a media row: never its storage key or WAHA's URL. */
function mediaPayload(row: Pick<MediaRow, "messageId" | "sessionId" | "contactId">, extra: Record<string, unknown>) {
  return { messageId: row.messageId, sessionId: row.sessionId, contactId: row.contactId, ...extra };
}

/**
 * A message that carries a file gets its media row (`pending`) and a `media.received` event, once: the row is unique
 * per message and the event is written only by the insert that created it (a redelivered `message.created` adds
 * nothing). Returns the row's id, or null when the message has no file.
 */
export async function registerMessageMedia(
  ctx: ServiceContext,
  messageId: string,
  /** The event's `contentType`, when it has one: a text message costs no read. */
  hint?: unknown,
): Promise<string | null> {
  if (typeof hint === "string" && !MEDIA_CONTENT_TYPES.has(hint)) return null;
  const [msg] = await ctx.db.query
    .select({
      id: m.id,
      contactId: m.contactId,
      sessionId: m.sessionId,
      direction: m.direction,
      contentType: m.contentType,
      mediaUrl: m.mediaUrl,
      mediaMimetype: m.mediaMimetype,
      mediaFilename: m.mediaFilename,
    })
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.id, messageId)));
  if (!msg || !(MEDIA_CONTENT_TYPES.has(msg.contentType) || msg.mediaUrl)) return null;
  const id = uuidv7();
  const event = ctx.outbox.event("media.received", {
    messageId: msg.id,
    mediaId: id,
    sessionId: msg.sessionId,
    contactId: msg.contactId,
    direction: msg.direction,
  });
  await guardedChange(
    ctx,
    ctx.db.query
      .insert(mm)
      .values({
        id,
        ...scopeValues(ctx.principal),
        messageId: msg.id,
        contactId: msg.contactId,
        sessionId: msg.sessionId,
        direction: msg.direction,
        declaredMimeType: msg.mediaMimetype,
        filename: msg.mediaFilename,
      })
      .onConflictDoNothing({ target: mm.messageId }),
    [event],
  );
  return id;
}

export type MediaOutcome =
  | { outcome: "missing" }
  | { outcome: "done"; status: MediaRow["status"]; enrichmentStatus: MediaRow["enrichmentStatus"] }
  | { outcome: "retry"; reason: string; busy?: boolean };

/**
 * The queue's work for one media row: fetch and store the file (once: a stored row is never downloaded again), then
 * read it (transcript, description, or the memory service's document ingestion). Transient failures answer `retry`
 * (the consumer backs off); the last attempt ends `failed` with the reason instead.
 */
export async function processMessageMedia(
  ctx: ServiceContext,
  deps: MediaDeps,
  messageId: string,
  opts: { lastAttempt: boolean },
): Promise<MediaOutcome> {
  const leaseId = uuidv7();
  const leaseSeconds = Math.ceil((2 * deps.timeoutMs) / 1000) + 60;
  // The lease: a twin delivery of the event finds the row taken and retries later instead of downloading it again.
  const [claimed] = await ctx.db.query
    .update(mm)
    .set({ leaseId, leaseUntil: sql`now() + make_interval(secs => ${leaseSeconds})` })
    .where(
      inScope(
        mm,
        ctx.principal,
        eq(mm.messageId, messageId),
        or(eq(mm.status, "pending"), eq(mm.enrichmentStatus, "pending")),
        or(isNull(mm.leaseUntil), lt(mm.leaseUntil, sql`now()`)),
      ),
    )
    .returning();
  if (!claimed) {
    const row = await loadMediaRow(ctx, messageId);
    if (!row) return { outcome: "missing" };
    if (row.status !== "pending" && row.enrichmentStatus !== "pending") {
      return { outcome: "done", status: row.status, enrichmentStatus: row.enrichmentStatus };
    }
    return { outcome: "retry", reason: "another consumer is working on this media", busy: true };
  }
  let row = claimed;
  try {
    if (row.status === "pending") {
      const stored = await storeMedia(ctx, deps, row, opts);
      if (stored.outcome === "retry") return stored;
      row = (await loadMediaRow(ctx, messageId))!;
    }
    if (row.enrichmentStatus === "pending") {
      const enriched = await enrichMedia(ctx, deps, row, opts);
      if (enriched.outcome === "retry") return enriched;
      row = (await loadMediaRow(ctx, messageId))!;
    }
    return { outcome: "done", status: row.status, enrichmentStatus: row.enrichmentStatus };
  } finally {
    await ctx.db.query
      .update(mm)
      .set({ leaseId: null, leaseUntil: null })
      .where(inScope(mm, ctx.principal, eq(mm.id, claimed.id), eq(mm.leaseId, leaseId)))
      .catch((err) => ctx.log.warn("media lease release failed (it expires on its own)", { err }));
  }
}

async function loadMediaRow(ctx: ServiceContext, messageId: string) {
  const [row] = await ctx.db.query
    .select()
    .from(mm)
    .where(inScope(mm, ctx.principal, eq(mm.messageId, messageId)));
  return row;
}

/** WAHA's chat id from its message id `{fromMe}_{chatId}_{id}[_{participant}]`. */
const chatOf = (channelMessageId: string | null) => channelMessageId?.split("_")[1] ?? null;

type Fetched =
  | { outcome: "ok"; bytes: Uint8Array; declared: string | null; filename: string | null }
  | { outcome: "final"; status: "unavailable" | "too_large" | "failed"; error: string; bytes?: number | null }
  | { outcome: "transient"; error: string };

async function fetchFile(ctx: ServiceContext, deps: MediaDeps, row: MediaRow): Promise<Fetched> {
  const [msg] = await ctx.db.query
    .select({
      mediaUrl: m.mediaUrl,
      mediaMimetype: m.mediaMimetype,
      mediaFilename: m.mediaFilename,
      channelMessageId: m.channelMessageId,
      channelId: m.channelId,
    })
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.id, row.messageId)));
  if (!msg) return { outcome: "final", status: "unavailable", error: "the message no longer exists" };
  // An erased contact's files are not fetched again (its deletion already removed what was stored).
  const [contact] = await ctx.db.query
    .select({ deletedAt: schema.contacts.deletedAt })
    .from(schema.contacts)
    .where(inScope(schema.contacts, ctx.principal, eq(schema.contacts.id, row.contactId)));
  if (!contact || contact.deletedAt) return { outcome: "final", status: "unavailable", error: "erased with the contact" };
  let channel: WahaChannelConfig | null = null;
  // The channel's WAHA: its API key goes only to its own origin (resolveMediaUrl), whoever gave the URL.
  if (msg.channelId) {
    const c = schema.channels;
    const [ch] = await ctx.db.query
      .select({ baseUrl: c.baseUrl, apiKey: c.apiKey, session: c.wahaSession })
      .from(c)
      .where(inScope(c, ctx.principal, eq(c.id, msg.channelId)));
    channel = ch ?? null;
  }
  let url = msg.mediaUrl;
  let declared = msg.mediaMimetype;
  let filename = msg.mediaFilename;
  try {
    if (!url) {
      const chatId = chatOf(msg.channelMessageId);
      if (row.direction !== "inbound" || !channel || !chatId || !msg.channelMessageId) {
        return { outcome: "final", status: "unavailable", error: "the message came without a media URL" };
      }
      // WAHA did not download it with the webhook (media.url null): ask for this message's media now.
      const found = await lookupMessageMedia(channel, chatId, msg.channelMessageId, deps.timeoutMs);
      if (found.outcome !== "found") {
        const why = {
          not_found: "WAHA does not know the message any more",
          no_media: "WAHA has no file for it (not downloaded: WHATSAPP_FILES_MIMETYPES, or expired on the phone)",
          unsupported: `WAHA's engine cannot fetch one message's media (HTTP ${"status" in found ? found.status : ""})`,
        }[found.outcome];
        return { outcome: "final", status: "unavailable", error: `media.url was null and ${why}` };
      }
      url = found.url;
      declared = found.mimetype ?? declared;
      filename = found.filename ?? filename;
    }
    // Inbound URLs come from WAHA (a signed webhook or our own lookup); outbound ones from whoever called the API.
    const target = resolveMediaUrl(channel?.baseUrl ?? null, url, { fromWaha: row.direction === "inbound" });
    if (!target) return { outcome: "final", status: "unavailable", error: "the media URL is not an http(s) URL" };
    const got = await downloadMedia(target.url, {
      apiKey: target.withKey ? channel?.apiKey : null,
      maxBytes: deps.maxBytes,
      timeoutMs: deps.timeoutMs,
    });
    switch (got.outcome) {
      case "ok":
        if (got.bytes.byteLength === 0) return { outcome: "final", status: "unavailable", error: "the media server sent an empty file" };
        return { outcome: "ok", bytes: got.bytes, declared: declared ?? got.contentType, filename };
      case "too_large":
        return {
          outcome: "final",
          status: "too_large",
          bytes: got.bytes,
          error: `the file is larger than MEDIA_MAX_BYTES (${deps.maxBytes} bytes)${got.bytes ? `: ${got.bytes} bytes` : ""}`,
        };
      case "gone":
        return {
          outcome: "final",
          status: "unavailable",
          error: `the media server no longer has the file (HTTP ${got.status}; WAHA deletes files after WHATSAPP_FILES_LIFETIME)`,
        };
      case "refused":
        return {
          outcome: "final",
          status: "failed",
          error: `the media server refused the download (HTTP ${got.status}; check the channel's API key)`,
        };
    }
  } catch (err) {
    if (err instanceof WahaError && err.retryable) return { outcome: "transient", error: err.message };
    throw err;
  }
}

async function storeMedia(
  ctx: ServiceContext,
  deps: MediaDeps,
  row: MediaRow,
  opts: { lastAttempt: boolean },
): Promise<MediaOutcome | { outcome: "ok" }> {
  const fetched = await fetchFile(ctx, deps, row);
  const guard = and(eq(mm.id, row.id), eq(mm.status, "pending"));
  if (fetched.outcome === "transient") {
    if (!opts.lastAttempt) {
      await ctx.db.query
        .update(mm)
        .set({ attempts: sql`${mm.attempts} + 1`, error: `retrying: ${fetched.error}`, updatedAt: new Date() })
        .where(inScope(mm, ctx.principal, guard));
      return { outcome: "retry", reason: fetched.error };
    }
    return finishStorage(ctx, row, { status: "failed", error: `gave up after retries: ${fetched.error}` });
  }
  if (fetched.outcome === "final")
    return finishStorage(ctx, row, { status: fetched.status, error: fetched.error, bytes: fetched.bytes ?? null });
  const mimeType = sniffMimeType(fetched.bytes, fetched.declared);
  const sha256 = toHex(await crypto.subtle.digest("SHA-256", fetched.bytes as Uint8Array<ArrayBuffer>));
  const key = mediaKey(ctx.principal, row.contactId, row.messageId);
  await deps.bucket.put(key, fetched.bytes, {
    httpMetadata: { contentType: mimeType },
    customMetadata: { messageId: row.messageId, sha256 },
    sha256,
  });
  const changed = await finishStorage(ctx, row, {
    status: "stored",
    mimeType,
    declaredMimeType: fetched.declared,
    filename: fetched.filename,
    bytes: fetched.bytes.byteLength,
    sha256,
    storageKey: key,
  });
  if (!changed.changed) {
    // The row moved on while we downloaded (the contact was erased): the object must not outlive it.
    const now = await loadMediaRow(ctx, row.messageId);
    if (now?.status !== "stored") await deps.bucket.delete(key);
  }
  return { outcome: "ok" };
}

/** The storage outcome, guarded by `pending` (a twin consumer that finished first wins), with its live event. */
async function finishStorage(
  ctx: ServiceContext,
  row: MediaRow,
  result: Partial<Pick<MediaRow, "mimeType" | "declaredMimeType" | "filename" | "bytes" | "sha256" | "storageKey" | "error">> & {
    status: MediaRow["status"];
  },
): Promise<{ outcome: "ok"; changed: boolean }> {
  const stored = result.status === "stored";
  const event = ctx.outbox.event(
    "media.status_changed",
    mediaPayload(row, {
      status: result.status,
      ...(stored ? { mimeType: result.mimeType, bytes: result.bytes } : { error: result.error }),
    }),
  );
  const changed = await guardedChange(
    ctx,
    ctx.db.query
      .update(mm)
      .set({
        ...result,
        error: result.error ?? null,
        attempts: sql`${mm.attempts} + 1`,
        storedAt: stored ? new Date() : null,
        // Nothing to read from a file that was not stored.
        ...(stored ? {} : { enrichmentStatus: "not_applicable" as const, enrichmentError: `no file: ${result.status}` }),
        updatedAt: new Date(),
      })
      .where(inScope(mm, ctx.principal, eq(mm.id, row.id), eq(mm.status, "pending"))),
    [event],
  );
  return { outcome: "ok", changed: changed > 0 };
}

type Enrichment =
  | {
      status: "done";
      kind: string;
      provider: string;
      model: string | null;
      result: Record<string, unknown>;
    }
  | { status: "not_configured" | "not_applicable" | "failed"; kind: string | null; error: string; provider?: string; model?: string };

async function enrichMedia(
  ctx: ServiceContext,
  deps: MediaDeps,
  row: MediaRow,
  opts: { lastAttempt: boolean },
): Promise<MediaOutcome | { outcome: "ok" }> {
  const [msg] = await ctx.db.query
    .select({ contentType: m.contentType })
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.id, row.messageId)));
  const kind = row.direction === "inbound" && row.mimeType && msg ? enrichmentKindOf(row.mimeType, msg.contentType) : null;
  if (!kind || !row.storageKey) {
    return finishEnrichment(ctx, row, {
      status: "not_applicable",
      kind: null,
      error: row.direction === "outbound" ? "outbound media is stored, not read" : `nothing reads ${row.mimeType ?? "this file"}`,
    });
  }
  if (kind === "transcript" && !deps.transcriber) {
    return finishEnrichment(ctx, row, { status: "not_configured", kind, error: "no provider configured (TRANSCRIPTION_PROVIDER=none)" });
  }
  if (kind === "description" && !deps.describer) {
    return finishEnrichment(ctx, row, { status: "not_configured", kind, error: "no provider configured (VISION_PROVIDER=none)" });
  }
  const object = await deps.bucket.get(row.storageKey);
  if (!object) return finishEnrichment(ctx, row, { status: "failed", kind, error: "the stored file is missing" });
  const file = { bytes: new Uint8Array(await object.arrayBuffer()), mimeType: row.mimeType!, filename: row.filename };
  const provider = kind === "transcript" ? deps.transcriber : kind === "description" ? deps.describer : null;
  try {
    if (kind === "transcript") {
      const t = await deps.transcriber!.transcribe(file);
      return finishEnrichment(ctx, row, {
        status: "done",
        kind,
        provider: deps.transcriber!.provider,
        model: deps.transcriber!.model,
        result: { transcript: t.text, language: t.language ?? null },
      });
    }
    if (kind === "description") {
      const r = await deps.describer!.describe(file);
      return finishEnrichment(ctx, row, {
        status: "done",
        kind,
        provider: deps.describer!.provider,
        model: deps.describer!.model,
        result: { description: r.description, visibleText: r.visibleText },
      });
    }
    // A PDF or a text file: the memory service reads it for real (page by page), linked to the contact.
    const doc = await uploadDocument(ctx, {
      content: file.bytes,
      filename: fileNameFor(row.messageId, file.mimeType, row.filename),
      mimeType: file.mimeType,
      contactId: row.contactId,
      source: "whatsapp",
      title: row.filename?.trim() || `WhatsApp document ${new Date().toISOString().slice(0, 10)}`,
    });
    return finishEnrichment(ctx, row, {
      status: "done",
      kind,
      provider: "ventros/memory-documents",
      model: null,
      result: { documentId: doc.id, duplicate: doc.duplicate, title: doc.title },
    });
  } catch (err) {
    const e = err instanceof AppError ? err : null;
    const reason = e ? e.message : "the enrichment failed unexpectedly";
    if (!e) ctx.log.error("media enrichment failed", { err, messageId: row.messageId });
    if (kind === "document" && (e?.code === "unsupported_media_type" || e?.code === "payload_too_large" || e?.code === "invalid_request")) {
      return finishEnrichment(ctx, row, { status: "not_applicable", kind, error: reason });
    }
    const transient = !e || e.code === "unavailable";
    if (transient && !opts.lastAttempt) {
      await ctx.db.query
        .update(mm)
        .set({ enrichmentAttempts: sql`${mm.enrichmentAttempts} + 1`, enrichmentError: `retrying: ${reason}`, updatedAt: new Date() })
        .where(inScope(mm, ctx.principal, eq(mm.id, row.id), eq(mm.enrichmentStatus, "pending")));
      return { outcome: "retry", reason };
    }
    return finishEnrichment(ctx, row, {
      status: "failed",
      kind,
      error: transient ? `gave up after retries: ${reason}` : reason,
      provider: provider?.provider,
      model: provider?.model,
    });
  }
}

/**
 * The enrichment's outcome, guarded by `pending`: the row, the message's `metadata.enrichment` (what message groups
 * and the inbox read), a timeline row and `message.enriched` — one statement.
 */
async function finishEnrichment(ctx: ServiceContext, row: MediaRow, e: Enrichment): Promise<{ outcome: "ok" }> {
  const done = e.status === "done";
  const summary = {
    status: e.status,
    kind: e.kind,
    provider: e.provider ?? null,
    model: e.model ?? null,
    ...(done ? e.result : { error: e.error }),
  };
  const event = ctx.outbox.event("message.enriched", mediaPayload(row, summary));
  // The timeline says what happened, not what was said: a transcript lives on the message (erased with it), never
  // in a timeline row that outlives the contact's erasure.
  const { transcript: _t, description: _d, visibleText: _v, text: _x, ...withoutText } = summary as Record<string, unknown>;
  const title =
    e.status === "done"
      ? ({ transcript: "Voice note transcribed", description: "Image described", document: "Document received" }[e.kind] ?? "Media read")
      : e.status === "failed"
        ? "Media enrichment failed"
        : null;
  await guardedChange(
    ctx,
    ctx.db.query
      .update(mm)
      .set({
        enrichmentStatus: e.status,
        enrichmentKind: e.kind,
        enrichmentProvider: e.provider ?? null,
        enrichmentModel: e.model ?? null,
        enrichment: done ? e.result : null,
        enrichmentError: done ? null : e.error,
        enrichmentAttempts: sql`${mm.enrichmentAttempts} + 1`,
        enrichedAt: new Date(),
        updatedAt: new Date(),
      })
      .where(inScope(mm, ctx.principal, eq(mm.id, row.id), eq(mm.enrichmentStatus, "pending"))),
    [event],
    [
      sql`update ${m} set metadata = ${m.metadata} || jsonb_build_object('enrichment', ${JSON.stringify(summary)}::jsonb)
          where ${inScope(m, ctx.principal, eq(m.id, row.messageId))} and exists (select from changed)`,
      ...(title
        ? [
            sql`insert into ${schema.contactEvents}
                (id, tenant_id, project_id, contact_id, session_id, type, title, payload, actor_type, actor_id)
              select ${uuidv7()}::uuid, ${ctx.principal.tenantId}::uuid, ${ctx.principal.projectId}::uuid, ${row.contactId}::uuid,
                     ${row.sessionId}::uuid, 'message.enriched', ${title},
                     ${JSON.stringify({ messageId: row.messageId, ...withoutText })}::jsonb, 'system', ${ctx.principal.actor.id}
              where exists (select from changed)`,
          ]
        : []),
    ],
  );
  // What was read becomes searchable memory too (idempotent: one memory row per message).
  if (done && ctx.memory && (e.kind === "transcript" || e.kind === "description")) {
    const r = e.result as { transcript?: string; description?: string; visibleText?: string | null };
    const text = e.kind === "transcript" ? (r.transcript ?? "") : [r.description, r.visibleText].filter(Boolean).join("\n");
    await embedMediaReading(ctx, row.messageId, { subtype: e.kind, text });
  }
  return { outcome: "ok" };
}

/**
 * One statement: `change` (an insert or update with a guard), and — only when it touched a row — the outbox events
 * and the extra writes that go with it.
 */
async function guardedChange(ctx: ServiceContext, change: { returning(): { getSQL(): SQL } }, events: OutboxRow[], extra: SQL[] = []) {
  const o = schema.outbox;
  const parts: SQL[] = [sql`changed as (${change.returning().getSQL()})`];
  events.forEach((event, i) => {
    parts.push(sql`${sql.identifier(`event_${i}`)} as (insert into ${o} (id, tenant_id, project_id, topic, payload)
      select ${event.id}::uuid, ${event.tenantId ?? null}::uuid, ${event.projectId ?? null}::uuid, ${event.topic},
             ${JSON.stringify(event.payload)}::jsonb
      where exists (select from changed))`);
  });
  // Data-modifying CTEs run whatever the outer query reads: each extra write says `exists (select from changed)` itself.
  extra.forEach((statement, i) => {
    parts.push(sql`${sql.identifier(`extra_${i}`)} as (${statement})`);
  });
  const { rows } = await ctx.db.query.execute<{ n: number }>(sql`with ${sql.join(parts, sql`, `)} select count(*)::int as n from changed`);
  return rows[0]?.n ?? 0;
}

/** Reads of media for the API: the row of a message of the caller's project (another tenant's: the same 404). */
export async function mediaOfMessage(ctx: ServiceContext, messageId: string): Promise<MediaRow> {
  const [row] = await ctx.db.query
    .select()
    .from(mm)
    .where(inScope(mm, ctx.principal, eq(mm.messageId, messageId)));
  if (!row) throw new AppError("not_found", `Message ${messageId} has no media`, { resource: "Message media", id: messageId });
  return row;
}

/** A stored row or the reason it cannot be served. */
export function assertStored(row: MediaRow): MediaRow & { storageKey: string; mimeType: string; bytes: number } {
  if (row.status !== "stored" || !row.storageKey || !row.mimeType || row.bytes == null) {
    throw new AppError("conflict", `The media of message ${row.messageId} is ${row.status}${row.error ? `: ${row.error}` : ""}`, {
      status: row.status,
      error: row.error,
    });
  }
  return row as MediaRow & { storageKey: string; mimeType: string; bytes: number };
}

/** What a signature covers: the object and the deadline, within one tenant and project. */
const signedText = (p: { tenantId: string; projectId: string }, messageId: string, expires: number) =>
  `media:v1:${p.tenantId}:${p.projectId}:${messageId}:${expires}`;

/**
 * A short-lived URL for `<img>` / `<audio>` tags: `/media/{messageId}?t=&p=&e=&s=` (HMAC-SHA256 with the signing
 * secret), absolute under PUBLIC_BASE_URL when it is set. Media not stored (yet) gets no URL, and its status says why.
 */
export async function signMediaUrl(ctx: ServiceContext, messageId: string, ttlSeconds: number) {
  if (!ctx.signingSecret) throw new AppError("internal", "No signing secret in this context");
  await findScoped(ctx, m, messageId, "Message");
  const [row] = await ctx.db.query
    .select()
    .from(mm)
    .where(inScope(mm, ctx.principal, eq(mm.messageId, messageId)));
  if (row?.status !== "stored") return { url: null, expiresAt: null, status: row?.status ?? null };
  const expires = Math.floor(Date.now() / 1000) + ttlSeconds;
  const signature = await hmacHex("SHA-256", ctx.signingSecret, signedText(ctx.principal, messageId, expires));
  const q = new URLSearchParams({ t: ctx.principal.tenantId, p: ctx.principal.projectId, e: String(expires), s: signature });
  const base = (ctx.publicBaseUrl ?? "").replace(/\/+$/, "");
  return { url: `${base}/media/${messageId}?${q}`, expiresAt: new Date(expires * 1000).toISOString(), status: row.status };
}

/** A message's media as the API shows it (null: the message has no file); another project's message is 404. */
export async function messageMediaInfo(ctx: ServiceContext, messageId: string) {
  await findScoped(ctx, m, messageId, "Message");
  const [row] = await ctx.db.query
    .select()
    .from(mm)
    .where(inScope(mm, ctx.principal, eq(mm.messageId, messageId)));
  return publicMedia(row);
}

/** Checks a signed URL's parameters; a bad or expired signature is the same 403 (nothing says which). */
export async function verifyMediaSignature(
  secret: string,
  messageId: string,
  q: { t?: string; p?: string; e?: string; s?: string },
): Promise<{ tenantId: string; projectId: string }> {
  const expires = Number(q.e);
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const denied = new AppError("forbidden", "The media link is invalid or has expired");
  if (!q.t || !q.p || !q.s || !uuid.test(q.t) || !uuid.test(q.p) || !Number.isInteger(expires)) throw denied;
  const scope = { tenantId: q.t, projectId: q.p };
  const expected = await hmacHex("SHA-256", secret, signedText(scope, messageId, expires));
  if (!timingSafeEqual(expected, q.s) || expires < Math.floor(Date.now() / 1000)) throw denied;
  return scope;
}

/**
 * LGPD/GDPR erasure: every stored object of the contact goes (by prefix), and the rows forget the file and what was
 * read from it. The messages stay, as the contact's deletion keeps conversations.
 */
export async function eraseContactMedia(ctx: ServiceContext, bucket: R2Bucket, contactId: string): Promise<{ objects: number }> {
  const prefix = contactPrefix(ctx.principal, contactId);
  // Rows first, objects second: a download finishing in between fails its guarded update (the row is no longer
  // pending) and deletes what it wrote; listing first could miss an object written after the listing.
  const rows = await ctx.db.query
    .update(mm)
    .set({
      status: "unavailable",
      storageKey: null,
      error: "erased with the contact",
      enrichment: null,
      enrichmentStatus: sql`case when ${mm.enrichmentStatus} = 'pending' then 'not_applicable'::media_enrichment_status
        else ${mm.enrichmentStatus} end`,
      enrichmentError: "erased with the contact",
      updatedAt: new Date(),
    })
    .where(inScope(mm, ctx.principal, eq(mm.contactId, contactId)))
    .returning({ messageId: mm.messageId });
  if (rows.length) {
    await ctx.db.query
      .update(m)
      .set({ metadata: sql`${m.metadata} - 'enrichment'` })
      .where(
        inScope(
          m,
          ctx.principal,
          inArray(
            m.id,
            rows.map((r) => r.messageId),
          ),
        ),
      );
  }
  let objects = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, cursor, limit: 1000 });
    if (page.objects.length) await bucket.delete(page.objects.map((o) => o.key));
    objects += page.objects.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { objects };
}

/** The media summary shown with a message (no storage key, no WAHA URL). */
export function publicMedia(row: MediaRow | null | undefined) {
  if (!row) return null;
  return {
    status: row.status,
    mimeType: row.mimeType ?? row.declaredMimeType,
    filename: row.filename,
    bytes: row.bytes,
    sha256: row.sha256,
    error: row.error,
    url: row.status === "stored" ? `/api/v1/messages/${row.messageId}/media` : null,
    enrichment: {
      status: row.enrichmentStatus,
      kind: row.enrichmentKind,
      provider: row.enrichmentProvider,
      model: row.enrichmentModel,
      result: row.enrichment,
      error: row.enrichmentError,
    },
  };
}

/**
 * A `media.received` that exhausted its deliveries (an unexpected error every time): whatever was still pending ends
 * `failed` with that reason, never `pending` forever.
 */
export async function failDeadLetteredMedia(db: Database, scope: { tenantId: string | null; projectId: string | null }, messageId: string) {
  if (!scope.tenantId || !scope.projectId) return;
  const reason = "dead-lettered: every delivery of its event failed";
  await db.query.execute(sql`
    update message_media set
      status = case when status = 'pending' then 'failed'::media_status else status end,
      error = case when status = 'pending' then ${reason} else error end,
      enrichment_status = case when enrichment_status = 'pending' then 'failed'::media_enrichment_status else enrichment_status end,
      enrichment_error = case when enrichment_status = 'pending' then ${reason} else enrichment_error end,
      lease_id = null, lease_until = null, updated_at = now()
    where tenant_id = ${scope.tenantId} and project_id = ${scope.projectId} and message_id = ${messageId}
      and (status = 'pending' or enrichment_status = 'pending')`);
}
