import { and, asc, inArray, isNull, lt, sql } from "drizzle-orm";
import { type Database, schema } from "../db";
import type { Logger } from "../lib/logger";
import type { OutboxMessage, Topic } from "./events";
import type { PendingEvent } from "./writer";

const BATCH = 100; // Queues sendBatch accepts up to 100 messages.

interface Row {
  id: string;
  topic: string;
  tenantId?: string | null;
  projectId?: string | null;
  payload: unknown;
  createdAt?: Date | null;
}

export const toMessage = (r: Row): OutboxMessage => ({
  id: r.id,
  topic: r.topic as Topic,
  tenantId: r.tenantId ?? null,
  projectId: r.projectId ?? null,
  payload: r.payload as Record<string, unknown>,
  createdAt: (r.createdAt ?? new Date()).toISOString(),
});

/**
 * Publishes outbox rows to the queue, then marks them published. Delivery is at least once: a crash between send
 * and mark re-sends on the next sweep, and consumers dedupe on the outbox id.
 * - `events`: what this request/consumer just committed. Rows known from memory are sent as they are (one round
 *   trip: the mark); ids alone are read back first, which also drops anything that did not commit.
 * - otherwise the sweep: unpublished rows older than `olderThanMs`.
 * `beforeSend` sees the messages first (the live push to WebSocket rooms: it must not wait for the queue).
 * `alongside` starts once they are live and runs while they are queued and marked (an AI reply's WAHA send need not
 * wait for either); it is awaited before returning.
 */
export async function publishOutbox(
  db: Database,
  queue: Queue<OutboxMessage>,
  log: Logger,
  opts: {
    events?: PendingEvent[];
    olderThanMs?: number;
    limit?: number;
    beforeSend?: (messages: OutboxMessage[]) => Promise<void>;
    alongside?: () => Promise<void>;
  } = {},
): Promise<{ published: number; failed: number }> {
  if (opts.events && opts.events.length === 0) return { published: 0, failed: 0 };
  const known = (opts.events ?? []).flatMap((e) => (e.row ? [e.row] : []));
  const unknownIds = (opts.events ?? []).flatMap((e) => (e.row ? [] : [e.id]));
  const read =
    opts.events && unknownIds.length === 0
      ? []
      : await db.query
          .select()
          .from(schema.outbox)
          .where(
            and(
              isNull(schema.outbox.publishedAt),
              opts.events
                ? inArray(schema.outbox.id, unknownIds)
                : lt(schema.outbox.createdAt, new Date(Date.now() - (opts.olderThanMs ?? 0))),
            ),
          )
          .orderBy(asc(schema.outbox.id))
          .limit(opts.limit ?? 500);
  // Rows known from memory keep the order they were written in (ids made in the Worker and in SQL do not sort
  // together); rows read back, and the sweep's, go by id.
  const messages = [...known.map(toMessage), ...read.map(toMessage).sort((a, b) => (a.id < b.id ? -1 : 1))];
  if (opts.beforeSend) await opts.beforeSend(messages).catch((err) => log.warn("live push failed", { err }));
  const alongside = opts.alongside?.();

  let published = 0;
  let failed = 0;
  for (let i = 0; i < messages.length; i += BATCH) {
    const chunk = messages.slice(i, i + BATCH);
    const ids = chunk.map((m) => m.id);
    try {
      await queue.sendBatch(chunk.map((body) => ({ body, contentType: "json" as const })));
      await db.query
        .update(schema.outbox)
        .set({ publishedAt: new Date(), attempts: sql`${schema.outbox.attempts} + 1` })
        .where(inArray(schema.outbox.id, ids));
      published += chunk.length;
    } catch (err) {
      // The rows stay unpublished; the sweep retries them.
      failed += chunk.length;
      log.warn("outbox publish failed", { err, count: chunk.length });
      await db.query
        .update(schema.outbox)
        .set({ attempts: sql`${schema.outbox.attempts} + 1`, lastError: String((err as Error)?.message ?? err).slice(0, 500) })
        .where(inArray(schema.outbox.id, ids))
        .catch(() => {});
    }
  }
  await alongside;
  return { published, failed };
}
