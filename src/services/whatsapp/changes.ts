import { sql } from "drizzle-orm";
import type { Database } from "../../db";
import { normalizeChatId } from "../../integrations/waha/chat-ids";
import type { WebhookChannel } from "./channel-lookup";
import { claimCte, claimed, type WahaDelivery } from "./delivery";

type Channel = Pick<WebhookChannel, "id" | "tenantId" | "projectId">;
type Result = { outcome: "updated" | "unknown_message" | "unchanged" | "duplicate_delivery"; outboxIds: string[] };

/**
 * Edits, revokes and reactions change an existing message and emit an event, in one statement each, which also
 * claims the delivery (a replayed edit, revoke or reaction changes nothing: a replayed 👍 cannot come back after
 * its removal). A change to a message we never stored is acknowledged and reported as unknown (nothing to attach
 * it to).
 */
async function changeMessage(
  db: Database,
  channel: Channel,
  delivery: WahaDelivery | undefined,
  channelMessageId: string,
  topic: string,
  set: ReturnType<typeof sql>,
  extra: ReturnType<typeof sql>,
): Promise<Result> {
  const { rows } = await db.query.execute<{ outbox_id: string | null; matched: boolean; fresh: boolean }>(sql`
    with ${claimCte(channel, delivery)}, target as (
      select id from messages where channel_id = ${channel.id} and channel_message_id = ${channelMessageId} and ${claimed}
    ), upd as (
      update messages m set ${set}, updated_at = now() from target t where m.id = t.id
      returning m.id, m.session_id, m.contact_id
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ventros_uuidv7(), ${channel.tenantId}, ${channel.projectId}, ${topic},
             jsonb_build_object('messageId', u.id, 'sessionId', u.session_id, 'contactId', u.contact_id, 'channelId', ${channel.id}::uuid)
               || ${extra}
      from upd u returning id
    )
    select (select id from evt) as outbox_id, exists (select 1 from target) as matched, ${claimed} as fresh`);
  const row = rows[0];
  if (row && !row.fresh) return { outcome: "duplicate_delivery", outboxIds: [] };
  if (row?.outbox_id) return { outcome: "updated", outboxIds: [row.outbox_id] };
  return { outcome: row?.matched ? "unchanged" : "unknown_message", outboxIds: [] };
}

/** Keeps previous versions in metadata.edits so an agent can see what the customer changed. */
export const applyEdit = (db: Database, channel: Channel, p: { editedMessageId: string; body?: string | null }, delivery?: WahaDelivery) =>
  changeMessage(
    db,
    channel,
    delivery,
    p.editedMessageId,
    "message.edited",
    sql`body = ${p.body ?? null}, edited_at = now(),
        metadata = jsonb_set(m.metadata, '{edits}', coalesce(m.metadata->'edits', '[]'::jsonb)
                             || jsonb_build_array(jsonb_build_object('body', m.body, 'replacedAt', now())))`,
    sql`jsonb_build_object('body', ${p.body ?? null}::text)`,
  );

/** "Deleted for everyone": the row stays (history, counters) and is flagged; the frontend renders it as deleted. */
export const applyRevoke = (db: Database, channel: Channel, p: { revokedMessageId: string }, delivery?: WahaDelivery) =>
  changeMessage(
    db,
    channel,
    delivery,
    p.revokedMessageId,
    "message.revoked",
    sql`revoked_at = coalesce(m.revoked_at, now())`,
    sql`'{}'::jsonb`,
  );

/** One reaction per reactor; an empty text removes it. */
export function applyReaction(
  db: Database,
  channel: Channel,
  p: { from?: string | null; participant?: string | null; fromMe?: boolean | null; reaction: { text: string; messageId: string } },
  delivery?: WahaDelivery,
) {
  const reactor = p.fromMe ? "me" : normalizeChatId(p.participant || p.from || "unknown");
  const set = p.reaction.text
    ? sql`reactions = m.reactions || jsonb_build_object(${reactor}::text, ${p.reaction.text}::text)`
    : sql`reactions = m.reactions - ${reactor}::text`;
  return changeMessage(
    db,
    channel,
    delivery,
    p.reaction.messageId,
    "message.reaction",
    set,
    sql`jsonb_build_object('reactor', ${reactor}::text, 'reaction', ${p.reaction.text}::text)`,
  );
}

const STATUSES = new Set(["STOPPED", "STARTING", "SCAN_QR_CODE", "WORKING", "FAILED", "PASSKEY_REQUIRED", "PASSKEY_CONFIRMATION_REQUIRED"]);

/**
 * Channel status follows `session.status`; an older event (by its timestamp) never overwrites a newer one. `at` is
 * the event's time clamped to its receipt (see handle-event): a status dated in the future would otherwise make
 * every later event look older and freeze the channel.
 */
export async function applySessionStatus(
  db: Database,
  channel: Channel,
  status: string,
  at: Date,
  delivery?: WahaDelivery,
): Promise<Result> {
  const value = STATUSES.has(status) ? status : "UNKNOWN";
  const { rows } = await db.query.execute<{ outbox_id: string | null; fresh: boolean }>(sql`
    with ${claimCte(channel, delivery)}, upd as (
      update channels set status = ${value}::channel_status, status_updated_at = ${at.toISOString()}::timestamptz, updated_at = now()
      where id = ${channel.id} and (status_updated_at is null or status_updated_at <= ${at.toISOString()}::timestamptz) and ${claimed}
      returning id
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ventros_uuidv7(), ${channel.tenantId}, ${channel.projectId}, 'channel.status_changed',
             jsonb_build_object('channelId', ${channel.id}::uuid, 'status', ${value}::text)
      from upd returning id
    )
    select (select id from evt) as outbox_id, ${claimed} as fresh`);
  if (rows[0] && !rows[0].fresh) return { outcome: "duplicate_delivery", outboxIds: [] };
  const id = rows[0]?.outbox_id;
  return id ? { outcome: "updated", outboxIds: [id] } : { outcome: "unchanged", outboxIds: [] };
}
