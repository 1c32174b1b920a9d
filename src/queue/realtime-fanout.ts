import { eq } from "drizzle-orm";
import { schema } from "../db";
import type { OutboxMessage } from "../outbox/events";
import type { TopicHandler } from "./consumer";

/**
 * Forwards conversation events to the project's feed and to the session's room (Durable Objects), and keeps the
 * room's inactivity alarm at the session's current expiry.
 */
export const fanOut: TopicHandler = async (message, c) => {
  const { projectId, tenantId, payload } = message;
  if (!projectId || !tenantId) return;
  const event = { ...payload, topic: message.topic };
  await c.env.PROJECT_FEED.get(c.env.PROJECT_FEED.idFromName(projectId)).publish(message.topic, event, message.id);
  const sessionId = typeof payload.sessionId === "string" ? payload.sessionId : undefined;
  if (!sessionId) return;
  const room = c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(sessionId));
  await room.publish(message.topic, event, message.id);
  if (isActivity(message)) {
    const [session] = await c.db.query
      .select({ status: schema.sessions.status, lastActivityAt: schema.sessions.lastActivityAt, timeoutMinutes: schema.sessions.timeoutMinutes })
      .from(schema.sessions)
      .where(eq(schema.sessions.id, sessionId));
    if (session?.status === "active") {
      await room.watch({ sessionId, tenantId, projectId }, session.lastActivityAt.getTime() + session.timeoutMinutes * 60_000);
    }
  }
};

const isActivity = (m: OutboxMessage) => m.topic === "message.created" || m.topic === "session.created";
