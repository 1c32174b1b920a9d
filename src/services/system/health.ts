import { sql } from "drizzle-orm";
import journal from "../../../drizzle/meta/_journal.json";
import type { Database } from "../../db";

export interface HealthReport {
  status: "ok" | "degraded";
  database: {
    reachable: boolean;
    latencyMs?: number;
    error?: string;
    migrations?: { applied: number; expected: number; latest: string | null; pending: string[] };
  };
  build: { version: string; commit: string; environment: string };
}

const expected = journal.entries.map((e) => ({ tag: e.tag, when: e.when }));

/**
 * Reachability and schema version in one HTTP round trip. drizzle records each applied migration with the
 * journal's `when` timestamp, so comparing them tells exactly which migrations are pending.
 */
export async function checkHealth(db: Database, build: HealthReport["build"]): Promise<HealthReport> {
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
    return {
      status: pending.length === 0 ? "ok" : "degraded",
      database: { reachable: true, latencyMs, migrations: { applied: applied.size, expected: expected.length, latest, pending } },
      build,
    };
  } catch (err) {
    return {
      status: "degraded",
      database: { reachable: false, error: err instanceof Error ? err.message : String(err) },
      build,
    };
  }
}
