import { and, eq } from "drizzle-orm";
import { memoryFor } from "../bindings/memory";
import { type Database, schema } from "../db";
import { databaseFor, parseConfig } from "../env";
import { createLogger, type Logger } from "../lib/logger";
import type { OutboxMessage, Topic } from "../outbox/events";
import { publishOutbox } from "../outbox/publisher";
import { createServiceContext, type ServiceContext } from "../services/context";
import { recordDeadLetter } from "../services/dead-letters";
import { failDeadLetteredMedia } from "../services/media/service";
import { failUnfinishedDocuments } from "../services/memory/documents/service";
import { markSendDeadLettered } from "../services/messages/deliver";
import { QUEUE_DELIVERIES, queueRetryDelaySeconds } from "../services/messages/lease";
import { topicHandlers } from "./handlers";
import { RetryLater } from "./retry-later";

/** Deliveries of an event before the queue dead-letters it: `max_retries` (wrangler.toml, 5) + 1. */
export const SOURCE_QUEUE_ATTEMPTS = QUEUE_DELIVERIES;

export interface ConsumerContext {
  env: Env;
  db: Database;
  log: Logger;
  ctx: ExecutionContext;
}

/** A handler throws to ask for a retry (with backoff); `attempts` counts deliveries of this queue message. */
export type TopicHandler = (message: OutboxMessage, c: ConsumerContext & { svc: ServiceContext; attempts: number }) => Promise<void>;

/**
 * Queue transport: dispatches each outbox message to its topic's handler and acks or retries it individually,
 * so one poisoned message does not replay the whole batch. Delivery is at least once; a message whose outbox id
 * was already handled is acknowledged without running the handler again.
 */
export async function consumeBatch(batch: MessageBatch<OutboxMessage>, env: Env, ctx: ExecutionContext) {
  const config = parseConfig(env);
  const log = createLogger({ queue: batch.queue }, config.LOG_LEVEL);
  const db = databaseFor(config);
  try {
    if (batch.queue.endsWith("-dlq")) {
      for (const message of batch.messages) {
        try {
          // A dead letter arrives with its own delivery count (1); the event itself failed every attempt upstream.
          await recordDeadLetter(db, batch.queue, message.body, SOURCE_QUEUE_ATTEMPTS);
          if (message.body?.topic === "message.queued" && message.body.payload?.messageId) {
            await markSendDeadLettered(db, message.body, String(message.body.payload.messageId), SOURCE_QUEUE_ATTEMPTS);
          }
          if (message.body?.topic === "media.received" && message.body.payload?.messageId) {
            await failDeadLetteredMedia(db, message.body, String(message.body.payload.messageId));
          }
          if (message.body?.topic === "document.uploaded" && message.body.payload?.documentId) {
            await failUnfinishedDocuments(db, { ...message.body, documentId: String(message.body.payload.documentId) });
          }
          log.error("event dead-lettered", { outboxId: message.body?.id, topic: message.body?.topic });
          message.ack();
        } catch (err) {
          log.error("storing a dead letter failed", { err });
          message.retry({ delaySeconds: 30 });
        }
      }
      return;
    }
    for (const message of batch.messages) {
      await consumeOne(message, { env, db, log: log.child({ outboxId: message.body?.id, topic: message.body?.topic }), ctx });
    }
  } finally {
    ctx.waitUntil(db.close());
  }
}

async function consumeOne(message: Message<OutboxMessage>, c: ConsumerContext) {
  const body = message.body;
  const handler = body?.topic ? topicHandlers[body.topic as Topic] : undefined;
  if (!body?.id || !handler) {
    // Topics without a consumer are events for other systems (and for the timeline); nothing to do here.
    message.ack();
    return;
  }
  const dedupeKey = `${body.topic}:${body.id}`;
  try {
    const [seen] = await c.db.query
      .select({ id: schema.processedWebhookEvents.id })
      .from(schema.processedWebhookEvents)
      .where(and(eq(schema.processedWebhookEvents.source, "queue"), eq(schema.processedWebhookEvents.dedupeKey, dedupeKey)));
    if (seen) {
      message.ack();
      return;
    }
    // Consumers act for the system inside the event's own tenant and project — never without one: such an event is
    // rejected (acknowledged unhandled, logged), as no retry can give it a scope.
    if (!body.tenantId || !body.projectId) {
      c.log.error("queue event without tenant or project rejected", { outboxId: body.id, topic: body.topic });
      message.ack();
      return;
    }
    const svc: ServiceContext = {
      ...createServiceContext(
        c.db,
        {
          tenantId: body.tenantId,
          projectId: body.projectId,
          role: "admin",
          actor: { type: "system", id: `queue:${body.topic}` },
        },
        c.log,
      ),
      memory: memoryFor(parseConfig(c.env), c.env),
    };
    try {
      await handler(body, { ...c, svc, attempts: message.attempts });
    } finally {
      const written = svc.outbox.takePending();
      if (written.length) c.ctx.waitUntil(publishOutbox(c.db, c.env.EVENTS, c.log, { events: written }).catch(() => {}));
    }
    await c.db.query
      .insert(schema.processedWebhookEvents)
      .values({ source: "queue", dedupeKey, eventType: body.topic, tenantId: body.tenantId, projectId: body.projectId })
      .onConflictDoNothing();
    message.ack();
  } catch (err) {
    const delaySeconds = Math.max(queueRetryDelaySeconds(message.attempts), err instanceof RetryLater ? err.delaySeconds : 0);
    c.log.warn("queue handler failed; retrying", { err, attempts: message.attempts, delaySeconds });
    message.retry({ delaySeconds });
  }
}
