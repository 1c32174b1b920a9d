import { and, eq, sql } from "drizzle-orm";
import { schema, type Transaction } from "../../db";
import type { OutboxWriter } from "../../outbox/writer";

export const DEFAULT_SESSION_TIMEOUT_MINUTES = 30;

export type SessionRow = typeof schema.sessions.$inferSelect;

/**
 * The active conversation of a contact on a channel, opened if there is none. A session idle for longer than its
 * timeout is expired here (in case the alarm has not fired yet) and a new one is opened. Safe under concurrency:
 * the partial unique index allows one active session, so a racing insert loses and reads the winner's row.
 */
export async function findOrOpenSession(
  tx: Transaction,
  outbox: OutboxWriter,
  scope: { tenantId: string; projectId: string },
  input: { contactId: string; channelId: string; timeoutMinutes: number; at: Date },
): Promise<{ session: SessionRow; opened: boolean }> {
  const s = schema.sessions;
  const active = and(eq(s.contactId, input.contactId), eq(s.channelId, input.channelId), eq(s.status, "active"));
  for (let attempt = 0; attempt < 3; attempt++) {
    const [current] = await tx.select().from(s).where(active).for("update");
    if (current) {
      const expiresAt = current.lastActivityAt.getTime() + current.timeoutMinutes * 60_000;
      if (expiresAt > input.at.getTime()) return { session: current, opened: false };
      await tx
        .update(s)
        .set({ status: "expired", endedAt: new Date(expiresAt), endReason: "inactivity", updatedAt: sql`now()` })
        .where(eq(s.id, current.id));
      await tx.insert(schema.outbox).values(outbox.event("session.ended", { sessionId: current.id, contactId: current.contactId, status: "expired", reason: "inactivity" }));
    }
    const [opened] = await tx
      .insert(s)
      .values({ ...scope, contactId: input.contactId, channelId: input.channelId, timeoutMinutes: input.timeoutMinutes, startedAt: input.at, lastActivityAt: input.at })
      .onConflictDoNothing({ target: [s.contactId, s.channelId], where: sql`status = 'active'` })
      .returning();
    if (opened) {
      await tx.insert(schema.outbox).values(outbox.event("session.created", { sessionId: opened.id, contactId: opened.contactId, channelId: opened.channelId }));
      return { session: opened, opened: true };
    }
  }
  throw new Error("could not open a session after concurrent attempts");
}
