import { and, isNotNull, lt, sql } from "drizzle-orm";
import { schema } from "../db";
import { databaseFor, parseConfig } from "../env";
import { IDEMPOTENCY_TTL_HOURS } from "../http/middleware/idempotency";
import { createLogger } from "../lib/logger";
import { publishOutbox } from "../outbox/publisher";
import { createServiceContext, type ServiceContext } from "../services/context";
import { failUnfinishedDocuments } from "../services/memory/documents/service";
import { reconcileStaleClaims, requeueOrphanedSends } from "../services/messages/deliver";
import { expireIdleSessions } from "../services/sessions/expire";
import { applyOrphanedParkedAcks, PARKED_ACK_RETENTION_DAYS } from "../services/whatsapp/acks";

/**
 * Cron (every minute) — the safety nets: expire sessions whose room never got an alarm, reconcile outbound sends
 * whose claim outlived its lease, apply acks parked in a race with the send, publish outbox rows whose
 * after-commit publish did not happen (isolate died, queue hiccup) — and retention: idempotency keys after 24 h,
 * published outbox rows after 7 days, dedupe records (processed, ignored and rejected deliveries) after 14 days
 * (well past WAHA's and Stripe's retry windows), acks parked for a message that never got its WhatsApp id after
 * 7 days (PARKED_ACK_RETENTION_DAYS), expired refresh tokens after 30 days.
 */
export async function runScheduled(env: Env, ctx: ExecutionContext) {
  const config = parseConfig(env);
  const log = createLogger({ job: "scheduled" }, config.LOG_LEVEL);
  const db = databaseFor(config);
  try {
    const expired = await expireIdleSessions(db);
    // Outbound sends whose claim outlived its lease (a Worker killed mid-send): reconciled with WAHA, then
    // `sent`, re-queued or `failed` ("delivery unknown") — never left `queued` without an owner.
    const contexts: ServiceContext[] = [];
    const reconciled = await reconcileStaleClaims(
      db,
      (scope) => {
        const ctx = createServiceContext(db, { ...scope, role: "admin", actor: { type: "system", id: "cron:reconcile-sends" } }, log);
        contexts.push(ctx);
        return ctx;
      },
      { wahaTimeoutMs: config.WAHA_TIMEOUT_MS },
    ).catch((err) => {
      log.warn("reconciling stale sends failed", { err });
      return {} as Record<string, number>;
    });
    // Outbound sends left queued with no claim and no live queue event (the event was lost): re-queued.
    const orphaned = await requeueOrphanedSends(db, (scope) => {
      const ctx = createServiceContext(db, { ...scope, role: "admin", actor: { type: "system", id: "cron:requeue-sends" } }, log);
      contexts.push(ctx);
      return ctx;
    }).catch((err) => {
      log.warn("re-queueing orphaned sends failed", { err });
      return 0;
    });
    if (orphaned) reconciled.requeuedOrphans = orphaned;
    const lateAcks = await applyOrphanedParkedAcks(db).catch((err) => {
      log.warn("applying parked acks failed", { err });
      return [] as string[];
    });
    const events = [...contexts.flatMap((c) => c.outbox.takePending()), ...lateAcks.map((id) => ({ id }))];
    if (events.length) await publishOutbox(db, env.EVENTS, log, { events });
    if (Object.keys(reconciled).length || lateAcks.length) log.info("delivery sweep", { reconciled, lateAcks: lateAcks.length });
    // Documents whose processing stopped for good (isolates killed mid-run): failed with a reason, not `processing`.
    const staleDocuments = await failUnfinishedDocuments(db, { limit: 25 }).catch((err) => {
      log.warn("failing stale documents failed", { err });
      return 0;
    });
    if (staleDocuments) log.info("stale documents failed", { count: staleDocuments });
    const published = await publishOutbox(db, env.EVENTS, log, { olderThanMs: 10_000 });
    await db.batch([
      db.query
        .delete(schema.idempotencyKeys)
        .where(lt(schema.idempotencyKeys.createdAt, sql`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`)),
      db.query
        .delete(schema.outbox)
        .where(and(isNotNull(schema.outbox.publishedAt), lt(schema.outbox.publishedAt, sql`now() - interval '7 days'`))),
      db.query.delete(schema.processedWebhookEvents).where(lt(schema.processedWebhookEvents.receivedAt, sql`now() - interval '14 days'`)),
      db.query
        .delete(schema.pendingMessageAcks)
        .where(lt(schema.pendingMessageAcks.createdAt, sql`now() - make_interval(days => ${PARKED_ACK_RETENTION_DAYS})`)),
      db.query.delete(schema.refreshTokens).where(lt(schema.refreshTokens.expiresAt, sql`now() - interval '30 days'`)),
    ]);
    if (expired.length || published.published || published.failed)
      log.info("scheduled run", { expiredSessions: expired.length, ...published });
    return { expiredSessions: expired.length, reconciled, lateAcks: lateAcks.length, ...published };
  } finally {
    ctx.waitUntil(db.close());
  }
}
