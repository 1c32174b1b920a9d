import { lt, sql } from "drizzle-orm";
import { schema } from "../db";
import { databaseFor, parseConfig } from "../env";
import { IDEMPOTENCY_TTL_HOURS } from "../http/middleware/idempotency";
import { createLogger } from "../lib/logger";
import { publishOutbox } from "../outbox/publisher";
import { expireIdleSessions } from "../services/sessions/expire";

/**
 * Cron (every minute) — the safety nets: expire sessions whose room never got an alarm, publish outbox rows whose
 * after-commit publish did not happen (isolate died, queue hiccup), forget expired idempotency keys.
 */
export async function runScheduled(env: Env, ctx: ExecutionContext) {
  const config = parseConfig(env);
  const log = createLogger({ job: "scheduled" }, config.LOG_LEVEL);
  const db = databaseFor(config);
  try {
    const expired = await expireIdleSessions(db);
    const published = await publishOutbox(db, env.EVENTS, log, { olderThanMs: 10_000 });
    await db.query.delete(schema.idempotencyKeys).where(lt(schema.idempotencyKeys.createdAt, sql`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`));
    if (expired.length || published.published || published.failed) log.info("scheduled run", { expiredSessions: expired.length, ...published });
    return { expiredSessions: expired.length, ...published };
  } finally {
    ctx.waitUntil(db.close());
  }
}
