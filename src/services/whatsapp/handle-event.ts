import type { z } from "zod";
import { type Database, schema } from "../../db";
import {
  WahaAck,
  WahaEdited,
  type WahaEnvelope,
  WahaMessage,
  WahaReaction,
  WahaRevoked,
  WahaSessionStatus,
} from "../../integrations/waha/payloads";
import { AppError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { applyAck } from "./acks";
import { applyEdit, applyReaction, applyRevoke, applySessionStatus } from "./changes";
import type { WebhookChannel } from "./channel-lookup";
import { ingestMessage } from "./ingest";

export interface EventResult {
  outcome: string;
  /** Outbox rows committed by this event, for the transport to publish. */
  outboxIds: string[];
  [key: string]: unknown;
}

function parse<T extends z.ZodType>(schemaOf: T, payload: unknown, event: string): z.infer<T> {
  const r = schemaOf.safeParse(payload);
  if (!r.success) {
    throw new AppError(
      "invalid_request",
      `Invalid ${event} payload: ${r.error.issues.map((i) => `payload.${i.path.join(".")}: ${i.message}`).join("; ")}`,
      r.error.issues.map((i) => ({ path: `payload.${i.path.join(".")}`, message: i.message })),
    );
  }
  return r.data;
}

/** Records a delivery; false when it was seen before (WAHA retries, or the same hook configured twice). */
async function firstDelivery(db: Database, channel: WebhookChannel, envelope: WahaEnvelope, outcome: string) {
  const rows = await db.query
    .insert(schema.processedWebhookEvents)
    .values({
      source: "waha",
      dedupeKey: `${channel.id}:${envelope.id}`,
      tenantId: channel.tenantId,
      projectId: channel.projectId,
      eventType: envelope.event,
      outcome,
    })
    .onConflictDoNothing()
    .returning({ id: schema.processedWebhookEvents.id });
  return rows.length > 0;
}

/** Routes one verified WAHA webhook to its handler. Unknown events are recorded and acknowledged. */
export async function handleWahaEvent(db: Database, channel: WebhookChannel, envelope: WahaEnvelope, log: Logger): Promise<EventResult> {
  const at = new Date(envelope.timestamp ?? Date.now());
  switch (envelope.event) {
    case "message":
    case "message.any": {
      const r = await ingestMessage(
        db,
        channel,
        { eventId: envelope.id, event: envelope.event },
        parse(WahaMessage, envelope.payload, envelope.event),
      );
      return { ...r, outboxIds: r.outcome === "created" ? r.outboxIds : [] };
    }
    case "message.ack":
      return applyAck(db, channel, parse(WahaAck, envelope.payload, envelope.event));
    case "message.edited": {
      const p = parse(WahaEdited, envelope.payload, envelope.event);
      if (!(await firstDelivery(db, channel, envelope, "processed"))) return { outcome: "duplicate_delivery", outboxIds: [] };
      return applyEdit(db, channel, p);
    }
    case "message.revoked":
      return applyRevoke(db, channel, parse(WahaRevoked, envelope.payload, envelope.event));
    case "message.reaction":
      return applyReaction(db, channel, parse(WahaReaction, envelope.payload, envelope.event));
    case "session.status":
      return applySessionStatus(db, channel, parse(WahaSessionStatus, envelope.payload, envelope.event).status, at);
    default: {
      const first = await firstDelivery(db, channel, envelope, "ignored");
      log.info("waha event not handled", { event: envelope.event, first });
      return { outcome: "ignored", outboxIds: [] };
    }
  }
}
