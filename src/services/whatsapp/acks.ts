import { sql } from "drizzle-orm";
import { type Database, schema } from "../../db";
import type { WebhookChannel } from "./channel-lookup";

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

/**
 * Applies an ack so that status only moves forward (acks arrive out of order and, in groups, once per participant):
 * one statement updates the message if the ack is news and writes the matching outbox event. An ack for a message
 * we do not know yet is parked until the outbound pipeline stores the WhatsApp id.
 */
export async function applyAck(
  db: Database,
  channel: Pick<WebhookChannel, "id" | "tenantId" | "projectId">,
  ack: { id: string; ack: number; participant?: string | null },
): Promise<{ outcome: "updated" | "stale" | "parked" | "ignored"; outboxIds: string[] }> {
  const status = ACK_STATUS[ack.ack];
  if (!status) return { outcome: "ignored", outboxIds: [] };
  const { rows } = await db.query.execute<{ outbox_id: string | null; matched: boolean }>(
    ackStatement(channel, ack.id, status, ack.participant ?? null),
  );
  const row = rows[0];
  if (row?.outbox_id) return { outcome: "updated", outboxIds: [row.outbox_id] };
  if (row?.matched) return { outcome: "stale", outboxIds: [] };
  await db.query.insert(schema.pendingMessageAcks).values({
    tenantId: channel.tenantId,
    projectId: channel.projectId,
    channelId: channel.id,
    channelMessageId: ack.id,
    ack: ack.ack,
    participant: ack.participant ?? null,
  });
  return { outcome: "parked", outboxIds: [] };
}

/** Applies parked acks once an outbound message has its WhatsApp id. */
export async function applyParkedAcks(
  db: Database,
  channel: Pick<WebhookChannel, "id" | "tenantId" | "projectId">,
  channelMessageId: string,
) {
  const parked = await db.query.execute<{ ack: number; participant: string | null }>(sql`
    delete from pending_message_acks where channel_id = ${channel.id} and channel_message_id = ${channelMessageId}
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
  channelMessageId: string,
  status: string,
  participant: string | null,
) {
  const order = sql`array['queued','sent','delivered','read','played']::message_status[]`;
  const topic = ACK_TOPIC[status as keyof typeof ACK_TOPIC];
  return sql`
    with target as (
      select id, status from messages where channel_id = ${channel.id} and channel_message_id = ${channelMessageId}
    ), upd as (
      update messages m set
        status = ${status}::message_status,
        delivered_at = case when ${status} in ('delivered','read','played') then coalesce(m.delivered_at, now()) else m.delivered_at end,
        read_at = case when ${status} in ('read','played') then coalesce(m.read_at, now()) else m.read_at end,
        error = case when ${status} = 'failed' then 'WhatsApp reported an error (ack -1)' else m.error end,
        metadata = case when ${participant}::text is null then m.metadata
                   else jsonb_set(m.metadata, '{acks}', coalesce(m.metadata->'acks', '{}'::jsonb) || jsonb_build_object(${participant}::text, ${status}::text)) end,
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
             jsonb_build_object('messageId', u.id, 'sessionId', u.session_id, 'contactId', u.contact_id, 'channelId', ${channel.id}::uuid, 'status', u.status)
      from upd u
      returning id
    )
    select (select id from evt) as outbox_id, exists (select 1 from target) as matched`;
}
