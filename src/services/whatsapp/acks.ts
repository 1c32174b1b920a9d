import { sql } from "drizzle-orm";
import type { Database } from "../../db";
import type { WebhookChannel } from "./channel-lookup";
import { claimCte, claimed, type WahaDelivery } from "./delivery";

/** WAHA ack values → message status. 0 (PENDING) says nothing new. */
const ACK_STATUS: Record<number, "failed" | "sent" | "delivered" | "read" | "played" | undefined> = {
  [-1]: "failed",
  1: "sent",
  2: "delivered",
  3: "read",
  4: "played",
};
const ACK_TOPIC = {
  failed: "message.failed",
  sent: "message.sent",
  delivered: "message.delivered",
  read: "message.read",
  played: "message.read",
} as const;

/** Parked acks for a message that never got its WhatsApp id are deleted by the cron after this many days. */
export const PARKED_ACK_RETENTION_DAYS = 7;

/**
 * Applies an ack so that status only moves forward (acks arrive out of order and, in groups, once per participant):
 * one statement claims the delivery, updates the message if the ack is news and writes the matching outbox event —
 * or, for a message we do not know yet, parks the ack until the outbound pipeline stores the WhatsApp id (parked
 * acks nobody claims are dropped after PARKED_ACK_RETENTION_DAYS).
 */
export async function applyAck(
  db: Database,
  channel: Pick<WebhookChannel, "id" | "tenantId" | "projectId">,
  ack: { id: string; ack: number; participant?: string | null },
  delivery?: WahaDelivery,
): Promise<{ outcome: "updated" | "stale" | "parked" | "ignored" | "duplicate_delivery"; outboxIds: string[] }> {
  const status = ACK_STATUS[ack.ack];
  if (!status) return { outcome: "ignored", outboxIds: [] };
  const { rows } = await db.query.execute<{ outbox_id: string | null; matched: boolean; fresh: boolean }>(
    ackStatement(channel, delivery, ack, status),
  );
  const row = rows[0];
  if (row && !row.fresh) return { outcome: "duplicate_delivery", outboxIds: [] };
  if (row?.outbox_id) return { outcome: "updated", outboxIds: [row.outbox_id] };
  if (row?.matched) return { outcome: "stale", outboxIds: [] };
  // Parked — but the sender may have stored the id (and looked for parked acks) between this statement's snapshot
  // and its commit. Looking again now, in a new statement, closes that window: one of the two sides sees the other.
  const late = await applyParkedAcks(db, channel, ack.id);
  if (late.length) return { outcome: "updated", outboxIds: late };
  return { outcome: "parked", outboxIds: [] };
}

/**
 * The cron's safety net for the same race: parked acks whose message has meanwhile got its WhatsApp id are applied.
 */
export async function applyOrphanedParkedAcks(db: Database, limit = 100) {
  const { rows } = await db.query.execute<{ channel_id: string; tenant_id: string; project_id: string; channel_message_id: string }>(sql`
    select distinct p.channel_id, p.tenant_id, p.project_id, p.channel_message_id
    from pending_message_acks p
    join messages m on m.channel_id = p.channel_id and m.channel_message_id = p.channel_message_id
    limit ${limit}`);
  const outboxIds: string[] = [];
  for (const r of rows) {
    outboxIds.push(
      ...(await applyParkedAcks(db, { id: r.channel_id, tenantId: r.tenant_id, projectId: r.project_id }, r.channel_message_id)),
    );
  }
  return outboxIds;
}

/** Applies parked acks once an outbound message has its WhatsApp id. */
export async function applyParkedAcks(
  db: Database,
  channel: Pick<WebhookChannel, "id" | "tenantId" | "projectId">,
  channelMessageId: string,
) {
  // Only once the message holds that id: otherwise applying would just park them again.
  const parked = await db.query.execute<{ ack: number; participant: string | null }>(sql`
    delete from pending_message_acks where channel_id = ${channel.id} and channel_message_id = ${channelMessageId}
      and tenant_id = ${channel.tenantId}::uuid and project_id = ${channel.projectId}::uuid
      and exists (select 1 from messages where channel_id = ${channel.id} and channel_message_id = ${channelMessageId}
                    and tenant_id = ${channel.tenantId}::uuid and project_id = ${channel.projectId}::uuid)
    returning ack, participant`);
  const outboxIds: string[] = [];
  for (const p of parked.rows.sort((a, b) => a.ack - b.ack)) {
    const r = await applyAck(db, channel, { id: channelMessageId, ack: p.ack, participant: p.participant });
    outboxIds.push(...r.outboxIds);
  }
  return outboxIds;
}

function ackStatement(
  channel: Pick<WebhookChannel, "id" | "tenantId" | "projectId">,
  delivery: WahaDelivery | undefined,
  ack: { id: string; ack: number; participant?: string | null },
  status: string,
) {
  const channelMessageId = ack.id;
  const participant = ack.participant ?? null;
  const order = sql`array['queued','sent','delivered','read','played']::message_status[]`;
  const topic = ACK_TOPIC[status as keyof typeof ACK_TOPIC];
  return sql`
    with ${claimCte(channel, delivery)}, target as (
      select id, status from messages where channel_id = ${channel.id} and channel_message_id = ${channelMessageId} and ${claimed}
    ), upd as (
      update messages m set
        status = ${status}::message_status,
        delivered_at = case when ${status} in ('delivered','read','played') then coalesce(m.delivered_at, now()) else m.delivered_at end,
        read_at = case when ${status} in ('read','played') then coalesce(m.read_at, now()) else m.read_at end,
        error = case when ${status} = 'failed' then 'WhatsApp reported an error (ack -1)' else m.error end,
        metadata = case when ${participant}::text is null then m.metadata
                   else jsonb_set(m.metadata, '{acks}',
                     coalesce(m.metadata->'acks', '{}'::jsonb) || jsonb_build_object(${participant}::text, ${status}::text)) end,
        updated_at = now()
      from target t
      where m.id = t.id and (
        (${status} = 'failed' and t.status in ('queued','sent'))
        or (${status} <> 'failed' and t.status <> 'failed'
            and array_position(${order}, ${status}::message_status) > array_position(${order}, t.status))
      )
      returning m.id, m.session_id, m.contact_id, m.status
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ventros_uuidv7(), ${channel.tenantId}, ${channel.projectId}, ${topic},
             jsonb_build_object('messageId', u.id, 'sessionId', u.session_id, 'contactId', u.contact_id, 'channelId', ${channel.id}::uuid,
                                'status', u.status)
      from upd u
      returning id
    ), park as (
      insert into pending_message_acks (id, tenant_id, project_id, channel_id, channel_message_id, ack, participant)
      select ventros_uuidv7(), ${channel.tenantId}::uuid, ${channel.projectId}::uuid, ${channel.id}::uuid, ${channelMessageId}::text,
             ${ack.ack}::int, ${participant}::text
      where ${claimed} and not exists (select 1 from target)
      returning id
    )
    select (select id from evt) as outbox_id, exists (select 1 from target) as matched, ${claimed} as fresh,
           exists (select 1 from park) as parked`;
}
