import { and, eq } from "drizzle-orm";
import { schema } from "../db";
import type { TopicHandler } from "../queue/consumer";
import type { RealtimeActor } from "../services/auth/realtime-access";

/** How many session rooms are asked at once. */
const ROOMS_IN_FLIGHT = 20;

/**
 * `api_key.revoked` and `member.removed`: the live connections of that key or user end now (close 4403) instead
 * of at the streams' next re-validation — in the project's feed and in the rooms of the project's active sessions
 * (rooms of ended sessions receive almost nothing; their sockets are re-validated before any send).
 */
export const closeRevokedConnections: TopicHandler = async (message, c) => {
  const { projectId, payload } = message;
  if (!projectId) return;
  const id = message.topic === "api_key.revoked" ? payload.apiKeyId : payload.userId;
  if (typeof id !== "string") return;
  const actor: RealtimeActor = { type: message.topic === "api_key.revoked" ? "api_key" : "user", id };
  const closed = await c.env.PROJECT_FEED.get(c.env.PROJECT_FEED.idFromName(projectId)).revoke(actor);
  const sessions = await c.db.query
    .select({ id: schema.sessions.id })
    .from(schema.sessions)
    .where(and(eq(schema.sessions.projectId, projectId), eq(schema.sessions.status, "active")));
  let inRooms = 0;
  for (let i = 0; i < sessions.length; i += ROOMS_IN_FLIGHT) {
    const counts = await Promise.all(
      sessions.slice(i, i + ROOMS_IN_FLIGHT).map((s) => c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(s.id)).revoke(actor)),
    );
    inRooms += counts.reduce((a, b) => a + b, 0);
  }
  if (closed + inRooms > 0) c.log.info("closed revoked live connections", { actor: actor.type, feed: closed, rooms: inRooms });
};
