import { sql } from "drizzle-orm";
import type { Database, Executor } from "../../db";

/**
 * What `ventros_expire_session` (drizzle/0007_session_expiry_rule.sql — the one home of the expiry rule) reports:
 * it expires an idle active session (timeline row + session.ended event) or says why it did not.
 */
export type ExpiryResult =
  | { state: "expired"; expires_at: string; outbox_id: string; payload: Record<string, unknown> }
  | { state: "active"; expires_at: string }
  | { state: "gone" | "ended" | "manually_closed" };

/** Applies the rule to one session of a project as of `at` (default: the database's now). */
export async function expireIfIdle(
  db: Pick<Database, "query"> | { query: Executor },
  s: { sessionId: string; tenantId: string; projectId: string },
  at?: Date,
): Promise<ExpiryResult> {
  const { rows } = await db.query.execute<{ r: ExpiryResult }>(sql`
    select ventros_expire_session(id, ${at ? sql`${at.toISOString()}::timestamptz` : sql`now()`}) as r
    from sessions where id = ${s.sessionId} and tenant_id = ${s.tenantId} and project_id = ${s.projectId}`);
  return rows[0]?.r ?? { state: "gone" };
}

/**
 * Cron safety net for sessions whose room never got an alarm. The WHERE clause only picks candidates cheaply (by
 * the index on last activity); the function decides, so the rule is not restated here.
 */
export async function expireIdleSessions(db: Database, limit = 500): Promise<string[]> {
  const { rows } = await db.query.execute<{ id: string | null }>(sql`
    select ventros_expire_session(id, now())->>'outbox_id' as id
    from (
      select id from sessions
      where status = 'active' and last_activity_at + make_interval(mins => timeout_minutes) <= now()
      order by last_activity_at limit ${limit} for update skip locked
    ) candidates`);
  return rows.flatMap((r) => (r.id ? [r.id] : []));
}
