import { sql } from "drizzle-orm";
import type { Database } from "../../db";
import { type Identifier, identifiersFor, isBroadcast, normalizeChatId, phoneOf } from "../../integrations/waha/chat-ids";
import type { WahaMessage } from "../../integrations/waha/payloads";
import type { WebhookChannel } from "./channel-lookup";

export type IngestOutcome =
  | { outcome: "created"; messageId: string; sessionId: string; contactId: string; outboxIds: string[] }
  | { outcome: "duplicate_delivery" | "duplicate_message" | "ignored"; reason?: string; messageId?: string };

type ContentType = "text" | "image" | "video" | "audio" | "voice" | "document" | "location" | "contact" | "sticker";

/**
 * Decides what a WAHA `message` / `message.any` payload means — who the conversation is with, direction, content
 * type, media, timestamps — and hands it to `ventros_ingest_message`, which makes it durable atomically in one
 * round trip (contact, session, message, counters, outbox).
 */
export async function ingestMessage(
  db: Database,
  channel: WebhookChannel,
  delivery: { eventId: string; event: string },
  msg: WahaMessage,
): Promise<IngestOutcome> {
  const chat = normalizeChatId(msg.fromMe ? (msg.to ?? "") : msg.from);
  if (!chat || isBroadcast(chat) || isBroadcast(msg.from)) return { outcome: "ignored", reason: "broadcast" };
  // Our own API sends come back as message.any; the outbound pipeline already recorded them.
  if (msg.fromMe && msg.source === "api") return { outcome: "ignored", reason: "own api send" };
  const identifiers = [...identifiersFor(chat), ...linkedIdentifiers(chat, msg)];
  if (identifiers.length === 0) return { outcome: "ignored", reason: `unsupported chat id ${chat}` };

  const media = msg.media ?? null;
  const input = {
    tenant_id: channel.tenantId,
    project_id: channel.projectId,
    channel_id: channel.id,
    dedupe_key: `${channel.id}:${delivery.eventId}`,
    event_type: delivery.event,
    timeout_minutes: channel.sessionTimeoutMinutes,
    at: toDate(msg.timestamp).toISOString(),
    identifiers: dedupe(identifiers),
    contact_name: chat.endsWith("@g.us") ? null : msg.fromMe ? null : (msg.notifyName ?? pushName(msg) ?? null),
    contact_phone: phoneOf(chat) ?? null,
    message: {
      channel_message_id: msg.id,
      direction: msg.fromMe ? "outbound" : "inbound",
      content_type: contentType(msg),
      // A message someone typed on the phone itself was, by definition, sent.
      status: msg.fromMe ? "sent" : "delivered",
      body: msg.body ?? null,
      media_url: media?.url ?? null,
      media_mimetype: media?.mimetype ?? null,
      media_filename: media?.filename ?? null,
      reply_to_channel_message_id: msg.replyTo?.id ?? null,
      from_me: msg.fromMe,
      participant: msg.participant ? normalizeChatId(msg.participant) : null,
      metadata: {
        source: msg.source ?? null,
        ...(msg.hasMedia && !media?.url ? { mediaPending: true } : {}),
        ...(msg.location ? { location: { latitude: Number(msg.location.latitude), longitude: Number(msg.location.longitude) } } : {}),
        ...(msg.vCards?.length ? { vCards: msg.vCards } : {}),
      },
    },
  };
  const { rows } = await db.query.execute<{ r: Record<string, unknown> }>(
    sql`select ventros_ingest_message(${JSON.stringify(input)}::jsonb) as r`,
  );
  const r = rows[0]!.r;
  if (r.outcome === "created") {
    return {
      outcome: "created",
      messageId: String(r.message_id),
      sessionId: String(r.session_id),
      contactId: String(r.contact_id),
      outboxIds: (r.outbox_ids as string[]) ?? [],
    };
  }
  return { outcome: r.outcome as "duplicate_delivery" | "duplicate_message", messageId: r.message_id as string | undefined };
}

/** WhatsApp timestamps are seconds; some engines and versions send milliseconds. */
export function toDate(timestamp: number): Date {
  return new Date(timestamp > 1e12 ? timestamp : timestamp * 1000);
}

export function contentType(msg: WahaMessage): ContentType {
  if (msg.location && msg.location.latitude != null) return "location";
  if (msg.vCards?.length) return "contact";
  if (!msg.hasMedia) return "text";
  const mime = (msg.media?.mimetype ?? "").toLowerCase();
  const dataType = engineType(msg);
  if (dataType === "sticker" || mime === "image/webp") return "sticker";
  if (dataType === "ptt" || mime.startsWith("audio/ogg")) return "voice";
  if (mime.startsWith("image/")) return "image";
  if (mime.startsWith("video/")) return "video";
  if (mime.startsWith("audio/")) return "audio";
  return "document";
}

/**
 * A person can write from a privacy id (`@lid`) whose phone is known to the engine. When the payload carries the
 * phone jid as well, both identifiers are attached to one contact.
 */
function linkedIdentifiers(chat: string, msg: WahaMessage): Identifier[] {
  if (!chat.endsWith("@lid")) return [];
  const data = (msg._data ?? {}) as Record<string, any>;
  const candidates = [data?.key?.senderPn, data?.key?.remoteJidAlt, data?.senderPn, data?.info?.SenderAlt];
  const pn = candidates.find((c): c is string => typeof c === "string" && /@(c\.us|s\.whatsapp\.net)$/.test(c));
  return pn ? identifiersFor(pn) : [];
}

function engineType(msg: WahaMessage): string | undefined {
  const t = (msg._data as Record<string, any> | undefined)?.type;
  return typeof t === "string" ? t : undefined;
}

function pushName(msg: WahaMessage): string | undefined {
  const d = (msg._data ?? {}) as Record<string, any>;
  const name = d.notifyName ?? d.pushName ?? d.PushName;
  return typeof name === "string" ? name : undefined;
}

function dedupe(list: Identifier[]) {
  const seen = new Set<string>();
  return list.filter((i) => !seen.has(`${i.kind}:${i.value}`) && seen.add(`${i.kind}:${i.value}`));
}
