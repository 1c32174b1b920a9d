import { and, asc, inArray, isNull, lt, sql } from "drizzle-orm";
import { type Database, schema } from "../db";
import type { Logger } from "../lib/logger";
import type { OutboxMessage, Topic } from "./events";

const BATCH = 100; // Queues sendBatch accepts up to 100 messages.

/**
 * Publishes unpublished outbox rows to the queue, then marks them published. Delivery is at least once: a crash
 * between send and mark re-sends on the next sweep, and consumers dedupe on the outbox id.
 * `ids` restricts the run to rows this request just committed; without it, rows older than `olderThanMs` are swept.
 */
export async function publishOutbox(
  db: Database,
  queue: Queue<OutboxMessage>,
  log: Logger,
  opts: { ids?: string[]; olderThanMs?: number; limit?: number } = {},
): Promise<{ published: number; failed: number }> {
  if (opts.ids && opts.ids.length === 0) return { published: 0, failed: 0 };
  const filters = [isNull(schema.outbox.publishedAt)];
  if (opts.ids) filters.push(inArray(schema.outbox.id, opts.ids));
  else filters.push(lt(schema.outbox.createdAt, new Date(Date.now() - (opts.olderThanMs ?? 0))));
  const rows = await db.query
    .select()
    .from(schema.outbox)
    .where(and(...filters))
    .orderBy(asc(schema.outbox.id))
    .limit(opts.limit ?? 500);

  let published = 0;
  let failed = 0;
  for (let i = 0; i < rows.length; i += BATCH) {
    const chunk = rows.slice(i, i + BATCH);
    const ids = chunk.map((r) => r.id);
    try {
      await queue.sendBatch(
        chunk.map((r) => ({
          body: {
            id: r.id,
            topic: r.topic as Topic,
            tenantId: r.tenantId,
            projectId: r.projectId,
            payload: r.payload,
            createdAt: r.createdAt.toISOString(),
          },
          contentType: "json" as const,
        })),
      );
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
  return { published, failed };
}
