import { sql } from "drizzle-orm";
import type { Database, Executor } from "../../db";

/**
 * What `ventros_expire_session` (drizzle/0007_session_expiry_rule.sql — the one home of the expiry rule) reports:
 * it expires an idle active session (timeline row + session.ended event) or says why it did not.
 */
export type ExpiryResult =
  /** This call expired it: its event is `outbox_id`. */
  | { state: "expired"; expires_at: string; outbox_id: string; payload: Record<string, unknown> }
  | { state: "active"; expires_at: string }
  /** Not active (any more): someone else ended or expired it, or it does not exist. */
  | { state: "gone" | "not_active" };

/** Applies the rule to one session of a project as of `at` (default: the database's now). */
export async function expireIfIdle(
  db: Pick<Database, "query"> | { query: Executor },
  s: { sessionId: string; tenantId: string; projectId: string },
  at?: Date,
): Promise<ExpiryResult> {
  const { rows } = await db.query.execute<{ r: ExpiryResult }>(sql`
    select ventros_expire_session(id, ${at ? sql`${at.toISOString()}::timestamptz` : sql`now()`}) as r
    from sessions where id = ${s.sessionId} and tenant_id = ${s.tenantId} and project_id = ${s.projectId}`);
  const r = rows[0]?.r as { state: string; outbox_id?: string } | undefined;
  if (!r) return { state: "gone" };
  // The function reports an already ended session by its status, which may also be "expired": only an outbox id
  // says that this call did the expiring.
  if (r.state === "active" || (r.state === "expired" && r.outbox_id)) return r as ExpiryResult;
  return { state: r.state === "gone" ? "gone" : "not_active" };
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
