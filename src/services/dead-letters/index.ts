import { eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { type Database, schema } from "../../db";
import { keyset, toPage } from "../../lib/pagination";
import type { OutboxMessage } from "../../outbox/events";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { numberInput } from "../shared/schemas";
import { inScope } from "../shared/scope";

export const DeadLetterQuery = z.object({
  pending: z.enum(["true", "false"]).optional().describe("true: only letters not replayed since they arrived"),
  limit: numberInput(z.number().int().min(1).max(100)).default(50),
  cursor: z.string().max(500).optional(),
});

/** Stores a dead-lettered queue message; the same outbox event dead-lettered again bumps its counters. */
export async function recordDeadLetter(db: Database, queue: string, body: OutboxMessage, attempts: number) {
  await db.query
    .insert(schema.deadLetters)
    .values({
      tenantId: body.tenantId,
      projectId: body.projectId,
      outboxId: body.id,
      topic: body.topic,
      payload: body.payload,
      queue,
      attempts,
    })
    .onConflictDoUpdate({
      target: schema.deadLetters.outboxId,
      set: { attempts: sql`${schema.deadLetters.attempts} + ${attempts}`, replayedAt: null, receivedAt: sql`now()` },
    });
}

export async function listDeadLetters(ctx: ServiceContext, q: z.infer<typeof DeadLetterQuery>) {
  const d = schema.deadLetters;
  const page = keyset({ id: d.id, direction: "desc", cursor: q.cursor });
  const rows = await ctx.db.query
    .select()
    .from(d)
    .where(inScope(d, ctx.principal, q.pending === "true" ? isNull(d.replayedAt) : undefined, page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}

/**
 * Sends the event back to its consumers by putting it back in the outbox under its own id, unpublished: the
 * request publishes it after commit (the cron sweep if that fails), like any new event. The consumer's record of
 * having handled it is cleared in the same batch — it never finished, that is why it is here — and every handler
 * is idempotent, so a replay is safe to repeat.
 */
export async function replayDeadLetter(ctx: ServiceContext, id: string) {
  const letter = await findScoped(ctx, schema.deadLetters, id, "Dead letter");
  const o = schema.outbox;
  const [, , [row]] = await ctx.db.batch([
    ctx.db.query
      .delete(schema.processedWebhookEvents)
      .where(
        inScope(
          schema.processedWebhookEvents,
          ctx.principal,
          eq(schema.processedWebhookEvents.source, "queue"),
          eq(schema.processedWebhookEvents.dedupeKey, `${letter.topic}:${letter.outboxId}`),
        ),
      ),
    ctx.db.query
      .insert(o)
      .values({ id: letter.outboxId, tenantId: letter.tenantId, projectId: letter.projectId, topic: letter.topic, payload: letter.payload })
      .onConflictDoUpdate({ target: o.id, set: { publishedAt: null, lastError: null } }),
    ctx.db.query
      .update(schema.deadLetters)
      .set({ replayedAt: sql`now()`, replayCount: sql`${schema.deadLetters.replayCount} + 1` })
      .where(inScope(schema.deadLetters, ctx.principal, eq(schema.deadLetters.id, id)))
      .returning(),
    ctx.db.query
      .insert(o)
      .values(ctx.outbox.event("dead_letter.replayed", { deadLetterId: id, outboxId: letter.outboxId, topic: letter.topic })),
  ] as const);
  ctx.outbox.track(letter.outboxId);
  if (letter.topic === "message.queued" && typeof letter.payload.messageId === "string") {
    // The send was marked failed when it was dead-lettered: a replay puts it back on the queue (guarded: only that
    // failure, nothing an ack or an agent decided since).
    const m = schema.messages;
    await ctx.db.query
      .update(m)
      .set({ status: "queued", error: null, metadata: sql`${m.metadata} - 'deadLettered'`, updatedAt: new Date() })
      .where(
        inScope(
          m,
          ctx.principal,
          eq(m.id, letter.payload.messageId),
          eq(m.status, "failed"),
          sql`${m.metadata}->>'deadLettered' is not null`,
        ),
      );
  }
  return row!;
}
