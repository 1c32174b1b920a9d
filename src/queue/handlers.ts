import { parseConfig } from "../env";
import type { Topic } from "../outbox/events";
import { LIVE_TOPICS } from "../realtime/live";
import { closeRevokedConnections } from "../realtime/revocation";
import { processDocument } from "../services/memory/documents/service";
import { embedMessage, forgetContactConversations, refreshMessageMemory } from "../services/memory/ingest";
import { deliverMessage } from "../services/messages/deliver";
import { QUEUE_DELIVERIES } from "../services/messages/lease";
import type { TopicHandler } from "./consumer";
import { deliverInvitation } from "./invitation-delivery";
import { fanOut } from "./realtime-fanout";
import { RetryLater } from "./retry-later";

/** Topic → consumer. Each handler calls services; none holds business logic of its own. */
export const topicHandlers: Partial<Record<Topic, TopicHandler>> = {
  ...Object.fromEntries(LIVE_TOPICS.map((topic) => [topic, fanOut])),
  "api_key.revoked": closeRevokedConnections,
  "member.removed": closeRevokedConnections,
  "invitation.created": deliverInvitation,
  // Live fan-out, then the message becomes searchable memory (inbound text only; the service decides).
  "message.created": async (message, c) => {
    await fanOut(message, c);
    await embedMessage(c.svc, String(message.payload.messageId), message.payload);
  },
  "message.edited": async (message, c) => {
    await fanOut(message, c);
    await refreshMessageMemory(c.svc, String(message.payload.messageId));
  },
  "message.revoked": async (message, c) => {
    await fanOut(message, c);
    await refreshMessageMemory(c.svc, String(message.payload.messageId));
  },
  "contact.deleted": async (message, c) => {
    await forgetContactConversations(c.svc, String(message.payload.contactId));
  },
  "document.uploaded": async (message, c) => {
    const documentId = String(message.payload.documentId);
    const result = await processDocument(c.svc, documentId, { lastAttempt: c.attempts >= QUEUE_DELIVERIES });
    c.log.info("document processed", { documentId, ...result });
  },
  "message.queued": async (message, c) => {
    const messageId = String(message.payload.messageId);
    const result = await deliverMessage(c.svc, messageId, c.attempts, { wahaTimeoutMs: parseConfig(c.env).WAHA_TIMEOUT_MS });
    c.log.info("outbound delivery", { messageId, ...result, attempts: c.attempts });
    // `busy`: another consumer holds the claim; acknowledging now could strand a message that is still queued.
    if (result.outcome === "retry" || result.outcome === "busy") {
      throw new RetryLater(`send not finished, will retry: ${result.outcome}`, result.retryAfterSeconds);
    }
  },
};
