import { type Database, schema } from "../../db";
import type { ParsedWahaDelivery, WahaEvent, WahaRejection } from "../../integrations/waha/payloads";
import type { Logger } from "../../lib/logger";
import type { OutboxRow } from "../../outbox/writer";
import { permanentDataError, recordRejection } from "../webhooks/rejections";
import { applyAck } from "./acks";
import { applyEdit, applyReaction, applyRevoke, applySessionStatus } from "./changes";
import type { WebhookChannel } from "./channel-lookup";
import { clampToReceipt, type WahaDelivery, wahaDedupeKey, wahaDelivery } from "./delivery";
import { ingestMessage } from "./ingest";

export interface EventResult {
  outcome: string;
  /** Outbox rows committed by this event, for the transport to publish. */
  outboxIds: string[];
  /** Those of them known in full (no need to read them back before publishing). */
  committedRows?: OutboxRow[];
  [key: string]: unknown;
}

/**
 * Handles one verified WAHA delivery. Exactly one of:
 *  - processed once per envelope id (every event type claims its delivery in the statement that applies it, so a
 *    replay answers `duplicate_delivery` and changes nothing);
 *  - `rejected` — it can never be processed (invalid at the edge, sent to the wrong session, a sender that
 *    identifies nobody, or a value the database refuses): recorded with its reason and acknowledged;
 *  - thrown — a transient failure (database unreachable…): nothing is recorded, the transport answers 5xx, and
 *    WAHA's retry is processed normally.
 * `receivedAt` is the moment of receipt: event times are clamped to it, so an event dated in the future cannot
 * freeze the channel's status (every later event would look older) or keep a session alive until that date.
 */
export async function receiveWahaDelivery(
  db: Database,
  channel: WebhookChannel,
  parsed: ParsedWahaDelivery,
  log: Logger,
  receivedAt = new Date(),
): Promise<EventResult> {
  if (!parsed.ok) return rejectWahaDelivery(db, channel, parsed.rejection, log);
  const { envelope } = parsed.value;
  if (envelope.session !== channel.wahaSession) {
    const reason = `event for WAHA session '${envelope.session}' sent to the channel of session '${channel.wahaSession}'`;
    return rejectWahaDelivery(db, channel, { reason, id: envelope.id, event: envelope.event }, log);
  }
  const delivery = wahaDelivery(channel.id, envelope);
  try {
    const result = await handleWahaEvent(db, channel, parsed.value, delivery, log, receivedAt);
    if (result.outcome !== "rejected") return result;
    return rejectWahaDelivery(db, channel, { reason: String(result.reason), id: envelope.id, event: envelope.event }, log);
  } catch (err) {
    const reason = permanentDataError(err);
    if (!reason) throw err;
    return rejectWahaDelivery(db, channel, { reason, id: envelope.id, event: envelope.event }, log);
  }
}

async function rejectWahaDelivery(
  db: Database,
  channel: WebhookChannel,
  rejection: Omit<WahaRejection, "bodySha256"> & { bodySha256?: string },
  log: Logger,
): Promise<EventResult> {
  // Without a usable envelope id, the body's hash identifies the delivery (a retry carries the same body).
  const dedupeKey = rejection.id ? wahaDedupeKey(channel.id, rejection.id) : `${channel.id}:sha256:${rejection.bodySha256}`;
  const recorded = await recordRejection(
    db,
    { source: "waha", dedupeKey, eventType: rejection.event, tenantId: channel.tenantId, projectId: channel.projectId },
    rejection.reason,
  );
  log.warn("waha event rejected", { event: rejection.event, eventId: rejection.id, reason: recorded.reason });
  return { ...recorded, outboxIds: [] };
}

/** Routes one valid WAHA event to its handler. Unknown events are recorded and acknowledged. */
async function handleWahaEvent(
  db: Database,
  channel: WebhookChannel,
  event: WahaEvent,
  delivery: WahaDelivery,
  log: Logger,
  receivedAt: Date,
): Promise<EventResult> {
  const { envelope } = event;
  switch (event.event) {
    case "message":
    case "message.any": {
      const r = await ingestMessage(db, channel, { eventId: envelope.id, event: envelope.event, receivedAt }, event.payload);
      return r.outcome === "created" ? r : { ...r, outboxIds: [] };
    }
    case "message.ack":
      return applyAck(db, channel, event.payload, delivery);
    case "message.edited":
      return applyEdit(db, channel, event.payload, delivery);
    case "message.revoked":
      return applyRevoke(db, channel, event.payload, delivery);
    case "message.reaction":
      return applyReaction(db, channel, event.payload, delivery);
    case "session.status": {
      const at = clampToReceipt(new Date(envelope.timestamp ?? receivedAt.getTime()), receivedAt);
      return applySessionStatus(db, channel, event.payload.status, at, delivery);
    }
    case "other": {
      const rows = await db.query
        .insert(schema.processedWebhookEvents)
        .values({
          source: "waha",
          dedupeKey: delivery.dedupeKey,
          tenantId: channel.tenantId,
          projectId: channel.projectId,
          eventType: delivery.eventType,
          outcome: "ignored",
        })
        .onConflictDoNothing()
        .returning({ id: schema.processedWebhookEvents.id });
      log.info("waha event not handled", { event: envelope.event, first: rows.length > 0 });
      return { outcome: "ignored", outboxIds: [] };
    }
  }
}
