import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import type { Database } from "../../src/db";
import worker from "../../src/index";
import type { OutboxMessage, Topic } from "../../src/outbox/events";

/** Delivers one message to the Worker's queue consumer, as the Queues runtime would, and says what it did with it. */
export async function deliverToQueue(body: OutboxMessage, opts: { attempts?: number; env?: Env; deliveryId?: string } = {}) {
  const attempts = opts.attempts ?? 1;
  const batch = createMessageBatch<OutboxMessage>("ventros-events", [
    { id: opts.deliveryId ?? `q-${body.id}-${attempts}`, timestamp: new Date(), attempts, body },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, opts.env ?? env, ctx);
  return getQueueResult(batch, ctx);
}

/**
 * The newest outbox row of a topic whose payload matches every pair of `match`, delivered to the queue consumer
 * (the test runs what the live queue would, and awaits it).
 */
export async function consumeOutboxEvent(
  db: Database,
  scope: { tenantId: string; projectId: string },
  topic: Topic,
  match: Record<string, string>,
  opts: Parameters<typeof deliverToQueue>[1] = {},
) {
  const where = Object.entries(match).map(([k, v]) => sql` and payload->>${k} = ${v}`);
  const { rows } = await db.query.execute<{ id: string; payload: Record<string, unknown> }>(
    sql`select id::text, payload from outbox where topic = ${topic}${sql.join(where)} order by id desc limit 1`,
  );
  const row = rows[0];
  if (!row) throw new Error(`no ${topic} event with ${JSON.stringify(match)}`);
  return deliverToQueue({ id: row.id, topic, ...scope, payload: row.payload, createdAt: new Date().toISOString() }, opts);
}
