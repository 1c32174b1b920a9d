import type { Topic } from "../outbox/events";
import { LIVE_TOPICS } from "../realtime/live";

/**
 * Topics the queue consumer acts on, as a plain list for tools that cannot load the handlers (`npm run dev`'s
 * recovery of events the local queue lost). A twin of `topicHandlers`' keys: test/queue/consumed-topics.test.ts
 * holds the two together.
 */
export const CONSUMED_TOPICS: readonly Topic[] = [
  ...LIVE_TOPICS,
  "api_key.revoked",
  "member.removed",
  "invitation.created",
  "contact.deleted",
  "document.uploaded",
  "message.queued",
  "media.received",
];
