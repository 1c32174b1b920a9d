import type { Topic } from "../outbox/events";
import { LIVE_TOPICS } from "../realtime/live";
import { closeRevokedConnections } from "../realtime/revocation";
import { deliverMessage } from "../services/messages/deliver";
import type { TopicHandler } from "./consumer";
import { deliverInvitation } from "./invitation-delivery";
import { fanOut } from "./realtime-fanout";

/** Topic → consumer. Each handler calls services; none holds business logic of its own. */
export const topicHandlers: Partial<Record<Topic, TopicHandler>> = {
  ...Object.fromEntries(LIVE_TOPICS.map((topic) => [topic, fanOut])),
  "api_key.revoked": closeRevokedConnections,
  "member.removed": closeRevokedConnections,
  "invitation.created": deliverInvitation,
  "message.queued": async (message, c) => {
    const messageId = String(message.payload.messageId);
    const result = await deliverMessage(c.svc, messageId, c.attempts);
    c.log.info("outbound delivery", { messageId, ...result, attempts: c.attempts });
    if (result.outcome === "retry") throw new Error(`send failed, will retry: ${result.error}`);
  },
};
