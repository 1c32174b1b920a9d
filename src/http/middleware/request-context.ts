import { createMiddleware } from "hono/factory";
import { createDatabase } from "../../db";
import { parseConfig } from "../../env";
import { uuidv7 } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import { publishOutbox } from "../../outbox/publisher";
import type { AppEnv } from "../context";

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Per-request plumbing: request id (echoed as X-Request-Id and on every log line), validated config, a logger,
 * and a database handle whose WebSocket pool (if one was opened) is closed after the response.
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : uuidv7();
  c.set("requestId", requestId);
  c.header("X-Request-Id", requestId);

  const config = parseConfig(c.env);
  const log = createLogger({ requestId }, config.LOG_LEVEL);
  c.set("config", config);
  c.set("log", log);
  const db = createDatabase({ url: config.DATABASE_URL, wsProxy: config.NEON_WS_PROXY, httpEndpoint: config.NEON_HTTP_ENDPOINT });
  c.set("db", db);

  const started = Date.now();
  try {
    await next();
  } finally {
    // Publish exactly the events this request committed, after the response; the cron sweep is the safety net.
    const committed = c.var.svc?.outbox.takeWritten() ?? [];
    const publish = committed.length
      ? publishOutbox(db, c.env.EVENTS, log, { ids: committed }).catch((err) => log.warn("outbox publish failed", { err }))
      : Promise.resolve();
    c.executionCtx.waitUntil(publish.then(() => db.close()).catch((err) => log.warn("closing database pool failed", { err })));
    log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  }
});
