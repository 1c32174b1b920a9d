import { sql } from "drizzle-orm";
import type { Database } from "../../db";

/**
 * Ends a session that has been idle for its timeout (status `expired`, session.ended event, timeline row) — one
 * statement, so a message arriving at the same moment either lands first (and the session stays active) or
 * opens the next session.
 */
export async function expireIdleSession(
  db: Database,
  s: { sessionId: string; tenantId: string; projectId: string },
): Promise<{ outcome: "expired"; outboxIds: string[] } | { outcome: "active"; expiresAt: Date } | { outcome: "gone" }> {
  const { rows } = await db.query.execute<{ state: string; expires_at: string | null; outbox_id: string | null }>(sql`
    with target as (
      select id, contact_id, status, last_activity_at + make_interval(mins => timeout_minutes) as expires_at
      from sessions where id = ${s.sessionId} and tenant_id = ${s.tenantId} and project_id = ${s.projectId}
    ), upd as (
      update sessions set status = 'expired', ended_at = t.expires_at, end_reason = 'inactivity', updated_at = now()
      from target t where sessions.id = t.id and t.status = 'active' and t.expires_at <= now()
      returning sessions.id, sessions.contact_id
    ), timeline as (
      insert into contact_events (id, tenant_id, project_id, contact_id, session_id, type, title, payload, actor_type)
      select ventros_uuidv7(), ${s.tenantId}, ${s.projectId}, u.contact_id, u.id, 'session.ended', 'Conversation expired',
             '{"status":"expired","reason":"inactivity"}'::jsonb, 'system'
      from upd u
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ventros_uuidv7(), ${s.tenantId}, ${s.projectId}, 'session.ended',
             jsonb_build_object('sessionId', u.id, 'contactId', u.contact_id, 'status', 'expired', 'reason', 'inactivity')
      from upd u returning id
    )
    select (select status::text from target) as state, (select expires_at::text from target) as expires_at, (select id from evt) as outbox_id`);
  const row = rows[0];
  if (row?.outbox_id) return { outcome: "expired", outboxIds: [row.outbox_id] };
  if (row?.state === "active" && row.expires_at) return { outcome: "active", expiresAt: new Date(row.expires_at) };
  return { outcome: "gone" };
}

/** Cron safety net: expires every idle session of every project (sessions whose room never got an alarm). */
export async function expireIdleSessions(db: Database, limit = 500): Promise<string[]> {
  const { rows } = await db.query.execute<{ id: string }>(sql`
    with idle as (
      select id, tenant_id, project_id, contact_id, last_activity_at + make_interval(mins => timeout_minutes) as expires_at
      from sessions where status = 'active' and last_activity_at + make_interval(mins => timeout_minutes) <= now()
      order by last_activity_at limit ${limit} for update skip locked
    ), upd as (
      update sessions s set status = 'expired', ended_at = i.expires_at, end_reason = 'inactivity', updated_at = now()
      from idle i where s.id = i.id and s.status = 'active'
      returning s.id, s.tenant_id, s.project_id, s.contact_id
    ), timeline as (
      insert into contact_events (id, tenant_id, project_id, contact_id, session_id, type, title, payload, actor_type)
      select ventros_uuidv7(), u.tenant_id, u.project_id, u.contact_id, u.id, 'session.ended', 'Conversation expired',
             '{"status":"expired","reason":"inactivity"}'::jsonb, 'system'
      from upd u
    )
    insert into outbox (id, tenant_id, project_id, topic, payload)
    select ventros_uuidv7(), u.tenant_id, u.project_id, 'session.ended',
           jsonb_build_object('sessionId', u.id, 'contactId', u.contact_id, 'status', 'expired', 'reason', 'inactivity')
    from upd u returning id`);
  return rows.map((r) => r.id);
}
