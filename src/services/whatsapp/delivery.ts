import { type SQL, sql } from "drizzle-orm";
import type { WebhookChannel } from "./channel-lookup";

/**
 * One WAHA delivery, identified by its envelope id — WAHA's idempotency key, the same on every retry — within the
 * channel. Every event type is deduplicated on it: WAHA retries, and the same hook configured twice delivers twice.
 */
export interface WahaDelivery {
  dedupeKey: string;
  eventType: string;
}

export const wahaDedupeKey = (channelId: string, envelopeId: string) => `${channelId}:${envelopeId}`;

export const wahaDelivery = (channelId: string, envelope: { id: string; event: string }): WahaDelivery => ({
  dedupeKey: wahaDedupeKey(channelId, envelope.id),
  eventType: envelope.event,
});

/**
 * The `claim` CTE: records the delivery in `processed_webhook_events` in the same statement (so the same
 * transaction) as its effect, which is gated on `claimed`. A replay finds the key taken and changes nothing; a
 * concurrent twin waits on the unique index and then finds it taken; a failed effect rolls the claim back with it,
 * so the retry is processed. Without a delivery (re-applying parked acks) the claim trivially succeeds.
 */
export function claimCte(channel: Pick<WebhookChannel, "tenantId" | "projectId">, delivery: WahaDelivery | undefined): SQL {
  if (!delivery) return sql`claim as (select 1 as id)`;
  return sql`claim as (
      insert into processed_webhook_events (id, source, dedupe_key, tenant_id, project_id, event_type)
      values (ventros_uuidv7(), 'waha', ${delivery.dedupeKey}, ${channel.tenantId}, ${channel.projectId}, ${delivery.eventType})
      on conflict (source, dedupe_key) do nothing
      returning id)`;
}

/** True when this statement's claim won (use inside a statement that starts with `claimCte`). */
export const claimed = sql`exists (select 1 from claim)`;

/**
 * An event's time, but never later than its receipt. Chosen over ignoring future-dated events: a WAHA host whose
 * clock runs ahead still gets its events applied (at the time we received them), while a time in the future can no
 * longer make every later event look older (a frozen channel status) or keep a session active until that date.
 */
export const clampToReceipt = (at: Date, receivedAt: Date) => new Date(Math.min(at.getTime(), receivedAt.getTime()));
