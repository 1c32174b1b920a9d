import type { OutboxMessage } from "../outbox/events";
import { pushLive } from "../realtime/live";
import { expireIfIdle } from "../services/sessions/expire";
import type { TopicHandler } from "./consumer";

/**
 * The durable path of live events (the request already pushed them right after commit; the rooms dedupe), and
 * the room's inactivity alarm kept at the session's current expiry.
 */
export const fanOut: TopicHandler = async (message, c) => {
  const { projectId, tenantId, payload } = message;
  if (!projectId || !tenantId) return;
  await pushLive(c.env, message);
  const sessionId = typeof payload.sessionId === "string" ? payload.sessionId : undefined;
  if (!sessionId || !isActivity(message)) return;
  // The expiry rule reports when an active session will expire (and expires one already idle).
  const expiry = await expireIfIdle(c.db, { sessionId, tenantId, projectId });
  const room = c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(sessionId));
  if (expiry.state === "active") await room.watch({ sessionId, tenantId, projectId }, new Date(expiry.expires_at).getTime());
  if (expiry.state === "expired") c.svc.outbox.track(expiry.outbox_id);
};

const isActivity = (m: OutboxMessage) => m.topic === "message.created" || m.topic === "session.created";
