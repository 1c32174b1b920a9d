import type { OutboxMessage, Topic } from "../outbox/events";

/** The conversation events shown live in the project feed and in the session's room. */
export const LIVE_TOPICS = [
  "message.created",
  "message.sent",
  "message.delivered",
  "message.read",
  "message.failed",
  "message.edited",
  "message.revoked",
  "message.reaction",
  "session.created",
  "session.ended",
  "session.assigned",
  "agent.response_generated",
  "channel.status_changed",
  "contact.assigned",
  "document.status_changed",
  "media.status_changed",
  "message.enriched",
] as const satisfies readonly Topic[];

const live = new Set<string>(LIVE_TOPICS);

/**
 * Shows one event in the project's feed and, when it concerns a session, in that session's room. Both dedupe on
 * the outbox id, so the request's push right after commit and the queue's later delivery show it once.
 */
export async function pushLive(env: Pick<Env, "PROJECT_FEED" | "SESSION_ROOM">, message: OutboxMessage) {
  if (!live.has(message.topic) || !message.projectId) return;
  const event = { ...message.payload, topic: message.topic };
  await env.PROJECT_FEED.get(env.PROJECT_FEED.idFromName(message.projectId)).publish(message.topic, event, message.id);
  const sessionId = typeof message.payload.sessionId === "string" ? message.payload.sessionId : undefined;
  if (sessionId) await env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(sessionId)).publish(message.topic, event, message.id);
}

/** In outbox order, so a room sees a request's events in the order they were written. */
export async function pushAllLive(env: Pick<Env, "PROJECT_FEED" | "SESSION_ROOM">, messages: OutboxMessage[]) {
  for (const message of messages) await pushLive(env, message);
}
