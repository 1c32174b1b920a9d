import { createMiddleware } from "hono/factory";
import { databaseFor, parseConfig } from "../../env";
import { uuidv7 } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import { publishOutbox } from "../../outbox/publisher";
import { pushAllLive } from "../../realtime/live";
import { routeCommittedToAgent } from "../../services/ai/inbound";
import { afterResponse } from "../after-response";
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
  const db = databaseFor(config);
  c.set("db", db);
  c.set("committedEvents", []);

  const started = Date.now();
  try {
    await next();
    // What the request cost in database round trips, visible in browser dev tools and to benchmarks.
    try {
      c.res.headers.append("Server-Timing", `db;desc="${db.roundTrips} round trips"`);
    } catch {
      // Upgrade responses from Durable Objects have immutable headers.
    }
  } finally {
    // Publish exactly the events this request committed, after the response; the cron sweep is the safety net.
    // Conversation events reach the WebSocket rooms first, without waiting for the queue's batch window.
    const committed = [...(c.var.svc?.outbox.takePending() ?? []), ...c.var.committedEvents];
    afterResponse(c.executionCtx, async () => {
      if (committed.length)
        await publishOutbox(db, c.env.EVENTS, log, {
          events: committed,
          // Then inbound customer messages go to the AI decision (the queue's copy is the durable path).
          beforeSend: async (messages) => {
            await pushAllLive(c.env, messages);
            await routeCommittedToAgent(c.env, db, log, messages);
          },
        }).catch((err) => log.warn("outbox publish failed", { err }));
      await db.close().catch((err) => log.warn("closing database pool failed", { err }));
    });
    log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Date.now() - started,
    });
  }
});
