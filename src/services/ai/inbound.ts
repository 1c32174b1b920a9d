import type { Database } from "../../db";
import { type AgentServiceVars, agentServiceConfig } from "../../integrations/agent-service";
import type { Logger } from "../../lib/logger";
import type { OutboxMessage } from "../../outbox/events";
import { decide, gatherFacts } from "./decide";
import { recordSkipped, skipIdFor } from "./orchestrate";

export type InboundRouting = "not_inbound" | "not_configured" | "skipped" | "queued" | "duplicate";

/**
 * The decision for one new customer message (from `message.created`): not handled → a "skipped" execution row with
 * its reason (projects that never configured AI record nothing); handled → the session's Durable Object, which
 * waits out the quiet window and answers the burst once. Safe to repeat: the skip row's id derives from the message
 * id, the room records each message id once, and a message it already took is never recorded as skipped.
 */
export async function routeInboundToAgent(
  env: AgentServiceVars & Pick<Env, "SESSION_ROOM">,
  db: Database,
  log: Logger,
  message: OutboxMessage,
  now: Date = new Date(),
): Promise<InboundRouting> {
  const p = message.payload;
  if (p.direction !== "inbound" || !message.tenantId || !message.projectId) return "not_inbound";
  const ref = {
    sessionId: String(p.sessionId),
    contactId: String(p.contactId),
    channelId: typeof p.channelId === "string" ? p.channelId : null,
  };
  const scope = { tenantId: message.tenantId, projectId: message.projectId };
  let agentService = false;
  try {
    agentService = agentServiceConfig(env) !== null;
  } catch (err) {
    log.error("agent service misconfigured; AI answers nothing", { err });
  }
  const facts = await gatherFacts(db, scope, ref, { agentService, now });
  if (!facts.configured) return "not_configured";
  const decision = decide(facts, now);
  const messageId = String(p.messageId);
  const room = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(ref.sessionId));
  if (!decision.handled) {
    if (await room.seenForAgent(messageId)) return "duplicate";
    await recordSkipped(
      db,
      { id: await skipIdFor(messageId), ...scope, ...ref, messageIds: [messageId] },
      decision,
      facts.settings.agentType,
      now,
    );
    return "skipped";
  }
  const receivedAt = Date.parse(message.createdAt);
  const { queued } = await room.enqueueForAgent({
    ...scope,
    ...ref,
    messageId,
    receivedAt: Number.isFinite(receivedAt) ? receivedAt : now.getTime(),
    quietWindowMs: facts.settings.quietWindowMs,
    timeoutSeconds: facts.settings.timeoutSeconds,
  });
  return queued ? "queued" : "duplicate";
}

/**
 * The request's fast path: inbound messages it just committed go to the decision at once, without waiting for the
 * queue's batch window. The queue's delivery of the same event is the durable path; both are idempotent.
 */
export async function routeCommittedToAgent(
  env: AgentServiceVars & Pick<Env, "SESSION_ROOM">,
  db: Database,
  log: Logger,
  messages: OutboxMessage[],
): Promise<void> {
  for (const m of messages) {
    if (m.topic !== "message.created" || m.payload.direction !== "inbound") continue;
    await routeInboundToAgent(env, db, log, m).catch((err) => log.warn("AI routing failed; the queue will retry", { err }));
  }
}
