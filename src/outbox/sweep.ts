import { createDatabase } from "../db";
import { parseConfig } from "../env";
import { createLogger } from "../lib/logger";
import { publishOutbox } from "./publisher";

/** Cron: publishes rows whose after-commit publish did not happen (isolate died, queue hiccup). */
export async function sweepOutbox(env: Env, ctx: ExecutionContext) {
  const config = parseConfig(env);
  const log = createLogger({ job: "outbox-sweep" }, config.LOG_LEVEL);
  const db = createDatabase({ url: config.DATABASE_URL, wsProxy: config.NEON_WS_PROXY, httpEndpoint: config.NEON_HTTP_ENDPOINT });
  try {
    const result = await publishOutbox(db, env.EVENTS, log, { olderThanMs: 10_000 });
    if (result.published || result.failed) log.info("outbox sweep", result);
    return result;
  } finally {
    ctx.waitUntil(db.close());
  }
}
