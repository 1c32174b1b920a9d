import { mediaFor } from "../bindings/media";
import { parseConfig } from "../env";
import type { Topic } from "../outbox/events";
import { LIVE_TOPICS } from "../realtime/live";
import { closeRevokedConnections } from "../realtime/revocation";
import { routeInboundToAgent } from "../services/ai/inbound";
import { eraseContactMedia, processMessageMedia, registerMessageMedia } from "../services/media/service";
import { forgetContactDocuments, processDocument } from "../services/memory/documents/service";
import { extractorFor } from "../services/memory/extraction/config";
import { embedMessage, forgetContactConversations, refreshMessageMemory } from "../services/memory/ingest";
import { extractDocumentKnowledge, extractMessageKnowledge } from "../services/memory/knowledge/extract";
import { deliverMessage } from "../services/messages/deliver";
import { QUEUE_DELIVERIES } from "../services/messages/lease";
import type { TopicHandler } from "./consumer";
import { deliverInvitation } from "./invitation-delivery";
import { fanOut } from "./realtime-fanout";
import { RetryLater } from "./retry-later";

/** The configured extractor (EXTRACTION_PROVIDER) for the knowledge handlers below. */
const extractor = (c: Parameters<TopicHandler>[1]) => extractorFor(parseConfig(c.env), c.env);

/**
 * Knowledge extraction is retried with its event (a model outage), but on the last delivery it gives up alone: the
 * event's other work (live fan-out, embedding) is done and must not be dead-lettered for it.
 */
async function extractKnowledge(c: Parameters<TopicHandler>[1], work: () => Promise<unknown>) {
  try {
    await work();
  } catch (err) {
    if (c.attempts < QUEUE_DELIVERIES) throw err;
    c.log.warn("knowledge extraction gave up", { err, attempts: c.attempts });
  }
}

/** Topic → consumer. Each handler calls services; none holds business logic of its own. */
export const topicHandlers: Partial<Record<Topic, TopicHandler>> = {
  ...Object.fromEntries(LIVE_TOPICS.map((topic) => [topic, fanOut])),
  "api_key.revoked": closeRevokedConnections,
  "member.removed": closeRevokedConnections,
  "invitation.created": deliverInvitation,
  // Live fan-out, then the AI decision (inbound only), then the message becomes searchable memory (inbound text only).
  "message.created": async (message, c) => {
    await fanOut(message, c);
    // A file (inbound or sent through the API) gets its media row and `media.received`, once (services/media).
    await registerMessageMedia(c.svc, String(message.payload.messageId), message.payload.contentType);
    await routeInboundToAgent(c.env, c.db, c.log, message);
    await embedMessage(c.svc, String(message.payload.messageId), message.payload);
    // Then its entities, relations and the contact's facts, hung from the embedding just made (services/memory/knowledge).
    await extractKnowledge(c, () => extractMessageKnowledge(c.svc, extractor(c), String(message.payload.messageId)));
  },
  "message.edited": async (message, c) => {
    await fanOut(message, c);
    await refreshMessageMemory(c.svc, String(message.payload.messageId));
    await extractKnowledge(c, () => extractMessageKnowledge(c.svc, extractor(c), String(message.payload.messageId)));
  },
  "message.revoked": async (message, c) => {
    await fanOut(message, c);
    await refreshMessageMemory(c.svc, String(message.payload.messageId));
  },
  // A document that became ready: its chunks' entities and the document's mentions, with their pages.
  "document.status_changed": async (message, c) => {
    await fanOut(message, c);
    if (message.payload.status !== "ready") return;
    const documentId = String(message.payload.documentId);
    await extractKnowledge(c, async () => {
      const result = await extractDocumentKnowledge(c.svc, extractor(c), documentId);
      c.log.info("document knowledge extracted", { documentId, ...result });
    });
  },
  "contact.deleted": async (message, c) => {
    await forgetContactConversations(c.svc, String(message.payload.contactId));
    await forgetContactDocuments(c.svc, String(message.payload.contactId));
    await eraseContactMedia(c.svc, c.env.DOCUMENTS, String(message.payload.contactId));
  },
  // Download from WAHA (or the API caller's URL) into R2, then transcribe / describe / ingest it (services/media).
  "media.received": async (message, c) => {
    const messageId = String(message.payload.messageId);
    const result = await processMessageMedia(c.svc, mediaFor(parseConfig(c.env), c.env), messageId, {
      lastAttempt: c.attempts >= QUEUE_DELIVERIES,
    });
    c.log.info("media processed", { messageId, ...result, attempts: c.attempts });
    if (result.outcome === "retry") throw new RetryLater(`media not finished, will retry: ${result.reason}`);
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
