import { sql } from "drizzle-orm";
import journal from "../../../drizzle/meta/_journal.json";
import type { Database } from "../../db";
import { databaseUnavailable } from "../../db/client";

/** `up`: answered in time; `slow`: answered late, or accepted the connection and never answered; `down`: unreachable. */
export type DatabaseState = "up" | "down" | "slow";

export interface HealthReport {
  /** `ok`: everything works; `degraded`: works, slowly; `unavailable`: requests that need the database fail (503). */
  status: "ok" | "degraded" | "unavailable";
  database: DatabaseState;
  latencyMs?: number;
  /** Only when the database answered: which of the deployed code's migrations it has. */
  migrations?: { applied: number; expected: number; latest: string | null; pending: string[] };
  build: { version: string; commit: string; environment: string };
}

const expected = journal.entries.map((e) => ({ tag: e.tag, when: e.when }));

/**
 * Reachability and schema version in one HTTP round trip, bounded by the database timeout. drizzle records each
 * applied migration with the journal's `when` timestamp, so comparing them tells exactly which are pending.
 * Failures are reported as a state, never with the driver's message (it quotes the SQL).
 */
export async function checkHealth(db: Database, build: HealthReport["build"], opts: { timeoutMs: number }): Promise<HealthReport> {
  const started = Date.now();
  try {
    const result = await db.query.execute<{ created_at: string | number | null }>(sql`
      select m.created_at
      from (select to_regclass('drizzle.__drizzle_migrations') as t) reg
      left join lateral (select created_at from drizzle.__drizzle_migrations) m on reg.t is not null`);
    const latencyMs = Date.now() - started;
    const applied = new Set(result.rows.map((r) => Number(r.created_at)).filter((n) => Number.isFinite(n) && n > 0));
    const pending = expected.filter((e) => !applied.has(e.when)).map((e) => e.tag);
    const latest = [...expected].reverse().find((e) => applied.has(e.when))?.tag ?? null;
    // Slower than half the timeout: requests still succeed, but the next hiccup turns them into 503s.
    const database: DatabaseState = latencyMs > opts.timeoutMs / 2 ? "slow" : "up";
    return {
      status: pending.length > 0 ? "unavailable" : database === "up" ? "ok" : "degraded",
      database,
      latencyMs,
      migrations: { applied: applied.size, expected: expected.length, latest, pending },
      build,
    };
  } catch (err) {
    const unavailable = databaseUnavailable(err, opts.timeoutMs);
    const reason = (unavailable?.details as { reason?: string } | undefined)?.reason;
    return { status: "unavailable", database: reason === "timeout" ? "slow" : "down", build };
  }
}
