import type { OutboxMessage } from "../outbox/events";
import { expireIfIdle } from "../services/sessions/expire";
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
    // The expiry rule reports when an active session will expire (and expires one already idle).
    const expiry = await expireIfIdle(c.db, { sessionId, tenantId, projectId });
    if (expiry.state === "active") await room.watch({ sessionId, tenantId, projectId }, new Date(expiry.expires_at).getTime());
    if (expiry.state === "expired") c.svc.outbox.track(expiry.outbox_id);
  }
};

const isActivity = (m: OutboxMessage) => m.topic === "message.created" || m.topic === "session.created";
