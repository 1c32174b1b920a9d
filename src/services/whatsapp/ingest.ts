import { sql } from "drizzle-orm";
import type { Database } from "../../db";
import { type Identifier, identifiersFor, isBroadcast, normalizeChatId, phoneOf } from "../../integrations/waha/chat-ids";
import { dateOf, type WahaMessage } from "../../integrations/waha/payloads";
import type { Topic } from "../../outbox/events";
import type { OutboxRow } from "../../outbox/writer";
import type { WebhookChannel } from "./channel-lookup";
import { clampToReceipt } from "./delivery";

export type IngestOutcome =
  | { outcome: "created"; messageId: string; sessionId: string; contactId: string; outboxIds: string[]; committedRows: OutboxRow[] }
  | { outcome: "duplicate_delivery" | "duplicate_message" | "ignored"; reason?: string; messageId?: string }
  | { outcome: "rejected"; reason: string };

type ContentType = "text" | "image" | "video" | "audio" | "voice" | "document" | "location" | "contact" | "sticker";

/**
 * Decides what a WAHA `message` / `message.any` payload means — who the conversation is with, direction, content
 * type, media, timestamps — and hands it to `ventros_ingest_message`, which makes it durable atomically in one
 * round trip (contact, session, message, counters, outbox).
 *
 * The message's time is its timestamp, but never later than its receipt (`delivery.receivedAt`): a message dated
 * in the future would keep its session active and its contact "latest" until that date.
 * A chat id that identifies nobody (`@c.us`, letters, an unknown kind) is rejected: contacts are found by their
 * identifiers, and a shared empty one would merge unrelated senders into one contact.
 */
export async function ingestMessage(
  db: Database,
  channel: WebhookChannel,
  delivery: { eventId: string; event: string; receivedAt?: Date },
  msg: WahaMessage,
): Promise<IngestOutcome> {
  const chat = normalizeChatId(msg.fromMe ? (msg.to ?? "") : msg.from);
  if (isBroadcast(chat) || isBroadcast(msg.from)) return { outcome: "ignored", reason: "broadcast" };
  // Our own API sends come back as message.any; the outbound pipeline already recorded them.
  if (msg.fromMe && msg.source === "api") return { outcome: "ignored", reason: "own api send" };
  if (!chat) return { outcome: "rejected", reason: `the message has no chat id (payload.${msg.fromMe ? "to" : "from"})` };
  const own = identifiersFor(chat);
  if (own.length === 0) return { outcome: "rejected", reason: `chat id '${chat.slice(0, 100)}' identifies no WhatsApp user or group` };
  const identifiers = [...own, ...linkedIdentifiers(chat, msg)];

  const media = msg.media ?? null;
  const input = {
    tenant_id: channel.tenantId,
    project_id: channel.projectId,
    channel_id: channel.id,
    dedupe_key: `${channel.id}:${delivery.eventId}`,
    event_type: delivery.event,
    timeout_minutes: channel.sessionTimeoutMinutes,
    at: clampToReceipt(dateOf(msg.timestamp), delivery.receivedAt ?? new Date()).toISOString(),
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
      // The rows it committed, so they are published without being read back.
      committedRows: ((r.outbox as { id: string; topic: Topic; payload: Record<string, unknown> }[] | undefined) ?? []).map((o) => ({
        ...o,
        tenantId: channel.tenantId,
        projectId: channel.projectId,
      })),
    };
  }
  return { outcome: r.outcome as "duplicate_delivery" | "duplicate_message", messageId: r.message_id as string | undefined };
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

/** Engine data is not validated at the edge, so a name from it is used only when it is storable as it is. */
function pushName(msg: WahaMessage): string | undefined {
  const d = (msg._data ?? {}) as Record<string, any>;
  const name = d.notifyName ?? d.pushName ?? d.PushName;
  return typeof name === "string" && name.length <= 256 && !name.includes("\u0000") ? name : undefined;
}

function dedupe(list: Identifier[]) {
  const seen = new Set<string>();
  return list.filter((i) => !seen.has(`${i.kind}:${i.value}`) && seen.add(`${i.kind}:${i.value}`));
}
