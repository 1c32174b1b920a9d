import { and, eq, sql } from "drizzle-orm";
import { type Executor, schema, type Transaction } from "../../db";
import type { OutboxWriter } from "../../outbox/writer";
import { expireIfIdle } from "./expire";

export const DEFAULT_SESSION_TIMEOUT_MINUTES = 30;

export type SessionRow = typeof schema.sessions.$inferSelect;

/**
 * The active conversation of a contact on a channel, opened if there is none. A session idle for longer than its
 * timeout is expired by the one expiry rule (in case the alarm has not fired yet) and a new one is opened. Safe under concurrency:
 * the partial unique index allows one active session, so a racing insert loses and reads the winner's row.
 */
export async function findOrOpenSession(
  tx: Transaction,
  outbox: OutboxWriter,
  scope: { tenantId: string; projectId: string },
  input: { contactId: string; channelId: string; timeoutMinutes: number; at: Date },
): Promise<{ session: SessionRow; opened: boolean }> {
  const s = schema.sessions;
  const active = and(
    eq(s.tenantId, scope.tenantId),
    eq(s.projectId, scope.projectId),
    eq(s.contactId, input.contactId),
    eq(s.channelId, input.channelId),
    eq(s.status, "active"),
  );
  for (let attempt = 0; attempt < 3; attempt++) {
    const [current] = await tx.select().from(s).where(active).for("update");
    if (current) {
      const expiry = await expireIfIdle({ query: tx as unknown as Executor }, { sessionId: current.id, ...scope }, input.at);
      if (expiry.state === "active") return { session: current, opened: false };
      if (expiry.state === "expired") outbox.track(expiry.outbox_id);
    }
    const [opened] = await tx
      .insert(s)
      .values({
        ...scope,
        contactId: input.contactId,
        channelId: input.channelId,
        timeoutMinutes: input.timeoutMinutes,
        startedAt: input.at,
        lastActivityAt: input.at,
      })
      .onConflictDoNothing({ target: [s.contactId, s.channelId], where: sql`status = 'active'` })
      .returning();
    if (opened) {
      await tx
        .insert(schema.outbox)
        .values(outbox.event("session.created", { sessionId: opened.id, contactId: opened.contactId, channelId: opened.channelId }));
      return { session: opened, opened: true };
    }
  }
  throw new Error("could not open a session after concurrent attempts");
}
