import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { type Database, schema } from "../../db";
import type { AgentAction, AgentExecutionEvent, AgentExecutionResponse, AgentServiceClient } from "../../integrations/agent-service";
import { setTypingViaWaha, type WahaChannelConfig } from "../../integrations/waha/client";
import { normalizeError } from "../../lib/errors";
import type { Logger } from "../../lib/logger";
import { storableText, truncateText } from "../../lib/text";
import { callTool } from "../../mcp/registry";
import { toolRegistry } from "../../mcp/tools";
import type { PendingEvent } from "../../outbox/writer";
import { AGENT_ROLE, issueAgentToken } from "../auth/agent-token";
import type { Principal } from "../auth/principal";
import { createServiceContext, type ServiceContext } from "../context";
import { type ChatTargetRows, chatTargetFrom, chatTargetQueries, wahaConfigOf } from "../messages/chat-target";
import { sendMessage } from "../messages/send";
import { createNote } from "../notes";
import { inScope } from "../shared/scope";
import { type Decision, decide, factsFrom, factsQueries } from "./decide";
import type { EffectiveAiSettings } from "./settings";

/** One customer message waiting for the agent, as the session's Durable Object keeps it. */
export interface BurstMessage {
  messageId: string;
  /** When the CRM received it (epoch ms). */
  receivedAt: number;
}

/** One answer to one burst: the execution id is fixed before anything is done, and every step is keyed by it. */
export interface Turn {
  executionId: string;
  tenantId: string;
  projectId: string;
  sessionId: string;
  contactId: string;
  channelId: string | null;
  messages: BurstMessage[];
  /** The quiet window the burst waited (ms): not counted as our overhead. */
  quietWindowMs: number;
}

export interface TurnDeps {
  db: Database;
  log: Logger;
  agentService: AgentServiceClient | null;
  /** JWT_SECRET: signs the execution's MCP credential. */
  signingSecret: string;
  /** The CRM's base URL as the agent service reaches it (its MCP calls); without one the agent gets no tools. */
  mcpUrl?: string;
  /** Shows a live event in the session's room (agent.typing, agent.partial). */
  relay(topic: string, payload: Record<string, unknown>): Promise<void>;
  /**
   * Publishes outbox rows written by the turn (queue + live), after commit, and runs `alongside` once they are live
   * (publishOutbox's option). A publisher that skipped it would only slow the reply: the queue's message.queued sends it.
   */
  publish(events: PendingEvent[], alongside?: () => Promise<void>): Promise<void>;
  /**
   * Sends a queued reply to WAHA now instead of after the queue's batch window (the queue's delivery of
   * message.queued then finds it handled: the send is claimed). Optional: without it the queue sends it.
   */
  deliverNow?(messageId: string): Promise<void>;
  now?: () => number;
}

export type TurnOutcome =
  | { status: "skipped"; reason: string }
  | { status: "succeeded" | "failed" | "timed_out" | "cancelled"; replyMessageId: string | null }
  | { status: "already_done" };

const TERMINAL = new Set(["succeeded", "failed", "timed_out", "cancelled", "skipped"]);
/** AgentActions the CRM applies, each through the MCP tool of the same name (same schema, same permission). */
export const ALLOWED_ACTIONS: Record<string, string> = {
  update_contact: "update_contact",
  move_stage: "update_pipeline_stage",
  update_pipeline_stage: "update_pipeline_stage",
  assign_to_agent: "assign_to_agent",
  handover: "assign_to_agent",
  add_tag: "add_tag",
  tag: "add_tag",
  create_note: "create_note",
  note: "create_note",
  qualify_lead: "qualify_lead",
};

/**
 * A deterministic UUID (version 8) from a name: the same burst always yields the same execution id, so a
 * redelivered event or a retried alarm finds the execution it already started instead of starting another.
 */
export async function deterministicId(name: string): Promise<string> {
  const bytes = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(name))).slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The execution answering a burst that starts with this message. */
export const executionIdFor = (sessionId: string, firstMessageId: string) => deterministicId(`ai-execution:${sessionId}:${firstMessageId}`);
/** The "skipped" row of a decision made when a message arrived. */
export const skipIdFor = (messageId: string) => deterministicId(`ai-skip:${messageId}`);

const agentPrincipal = (t: Pick<Turn, "tenantId" | "projectId" | "executionId">): Principal => ({
  tenantId: t.tenantId,
  projectId: t.projectId,
  role: AGENT_ROLE,
  actor: { type: "agent", id: t.executionId },
});

/** Records a decision not to answer (idempotent by id). */
export async function recordSkipped(
  db: Database,
  p: {
    id: string;
    tenantId: string;
    projectId: string;
    sessionId: string;
    contactId: string;
    channelId: string | null;
    messageIds: string[];
  },
  decision: Decision,
  agentType: string,
  at: Date,
) {
  await db.query
    .insert(schema.agentExecutions)
    .values({
      id: p.id,
      tenantId: p.tenantId,
      projectId: p.projectId,
      sessionId: p.sessionId,
      contactId: p.contactId,
      channelId: p.channelId,
      messageIds: p.messageIds,
      actorType: "system",
      actorId: "ai-decision",
      kind: "execution",
      name: agentType,
      agentType,
      status: "skipped",
      decision,
      queuedAt: at,
      completedAt: at,
      updatedAt: at,
    })
    .onConflictDoNothing();
}

/**
 * Answers one burst, exactly once. The execution row is written (status running) before the agent is called; the
 * agent's answer is stored on it before any side effect; the reply message's id is the execution id, so whatever is
 * repeated after a crash or a retried alarm, one burst has at most one reply. A run that finds its row running
 * without an answer (the previous run died mid-call) cancels the agent's execution and applies the failure policy.
 */
export async function runTurn(deps: TurnDeps, turn: Turn): Promise<TurnOutcome> {
  const now = deps.now ?? Date.now;
  const { db } = deps;
  const svc = createServiceContext(db, agentPrincipal(turn), deps.log.child({ executionId: turn.executionId }));
  const e = schema.agentExecutions;
  // Everything the turn reads before calling the agent, in one round trip: its row (a retried run), the decision's
  // facts, the burst's texts and where the typing indicator goes.
  const [[existing], settingsRows, conversation, texts, ...chatRows] = await db.batch([
    db.query
      .select()
      .from(e)
      .where(and(eq(e.id, turn.executionId), eq(e.projectId, turn.projectId))),
    ...factsQueries(db, turn, turn, new Date(now())),
    burstTextsQuery(svc, turn),
    ...chatTargetQueries(svc, { channel: turn.channelId, contact: turn.contactId }),
  ] as const);
  if (existing && TERMINAL.has(existing.status)) return { status: "already_done" };

  const facts = factsFrom([settingsRows, conversation], { agentService: deps.agentService !== null, now: new Date(now()) });
  const settings = facts.settings;
  const lastReceived = Math.max(...turn.messages.map((m) => m.receivedAt));
  if (!existing) {
    const decision = decide(facts, new Date(now()));
    if (!decision.handled || !deps.agentService) {
      if (facts.configured) {
        await recordSkipped(
          db,
          { id: turn.executionId, ...turn, messageIds: turn.messages.map((m) => m.messageId) },
          decision,
          settings.agentType,
          new Date(now()),
        );
      }
      return { status: "skipped", reason: decision.reason };
    }
    await db.query
      .insert(e)
      .values({
        id: turn.executionId,
        tenantId: turn.tenantId,
        projectId: turn.projectId,
        sessionId: turn.sessionId,
        contactId: turn.contactId,
        channelId: turn.channelId,
        messageIds: turn.messages.map((m) => m.messageId),
        actorType: "system",
        actorId: "ai-orchestrator",
        kind: "execution",
        name: settings.agentType,
        agentType: settings.agentType,
        agentId: facts.aiAgentId ?? null,
        status: "running",
        decision,
        queuedAt: new Date(lastReceived),
        startedAt: new Date(now()),
        updatedAt: new Date(now()),
        input: { streaming: settings.streaming, timeoutSeconds: settings.timeoutSeconds, protocol: deps.agentService.protocol },
      })
      .onConflictDoNothing();
  }

  const stored = (existing?.output ?? null) as { response?: StoredResponse } | null;
  let response: StoredResponse;
  if (stored?.response) {
    response = stored.response;
  } else if (existing) {
    // The previous run died while the agent was working: its answer is lost. Stop it and apply the failure policy.
    await deps.agentService?.cancel(turn.executionId, "the CRM lost the execution (restarted)").catch(() => {});
    response = failure("interrupted", "the CRM restarted while the agent was working");
  } else {
    response = await callAgent(deps, svc, turn, settings, { texts, chat: chatFrom(chatRows) });
    await db.query
      .update(e)
      .set({
        output: { response },
        agentMs: response.executionTimeMs,
        model: response.model,
        subAgents: response.subAgents,
        mcpTools: response.mcpTools,
        tokensUsed: response.tokensUsed,
        costUsd: response.costUsd,
        updatedAt: new Date(now()),
      })
      .where(and(eq(e.id, turn.executionId), eq(e.status, "running")));
  }
  const aiAgentId = existing ? existing.agentId : (facts.aiAgentId ?? null);
  return finish(deps, svc, { ...turn, aiAgentId }, settings, response, now);
}

/**
 * A turn that failed every time it ran (something in it can never succeed): its execution is marked failed, with the
 * error, so the conversation's next messages are answered instead of queueing behind it forever. Returns whether a
 * running execution was marked (none when the turn failed before writing it).
 */
export async function abandonTurn(db: Database, turn: Turn, error: string, at: Date = new Date()): Promise<boolean> {
  const e = schema.agentExecutions;
  const marked = await db.query
    .update(e)
    .set({ status: "failed", errorCode: "internal", errorMessage: error.slice(0, 1000), completedAt: at, updatedAt: at })
    .where(and(eq(e.id, turn.executionId), eq(e.projectId, turn.projectId), eq(e.status, "running")))
    .returning({ id: e.id });
  return marked.length > 0;
}

interface StoredResponse {
  status: string;
  text: string;
  actions: { actionType: string; entityType: string; entityId: string; data: Record<string, string> }[];
  executionTimeMs: number;
  model: string | null;
  subAgents: string[];
  mcpTools: string[];
  tokensUsed: number;
  costUsd: number;
  errorCode: string | null;
  errorMessage: string | null;
}

const failure = (code: string, message: string): StoredResponse => ({
  status: code === "timeout" ? "timeout" : code === "cancelled" ? "cancelled" : "error",
  text: "",
  actions: [],
  executionTimeMs: 0,
  model: null,
  subAgents: [],
  mcpTools: [],
  tokensUsed: 0,
  costUsd: 0,
  errorCode: code,
  errorMessage: message,
});

/**
 * What is kept of the agent's answer. Its strings are made storable first (a NUL is valid in a proto string, not in
 * Postgres): an answer that cannot be stored would fail the turn on every retry.
 */
function fromResponse(r: AgentExecutionResponse): StoredResponse {
  const text = storableText;
  return {
    status: text(r.status) || "error",
    text: text(r.responseText),
    actions: r.actions.map((a: AgentAction) => ({
      actionType: text(a.actionType),
      entityType: text(a.entityType),
      entityId: text(a.entityId),
      data: Object.fromEntries(Object.entries(a.data).map(([k, v]) => [text(k), text(v)])),
    })),
    executionTimeMs: r.executionTimeMs,
    model: r.metadata.model ? text(r.metadata.model) : null,
    subAgents: r.subAgentTypes.map(text),
    mcpTools: r.mcpToolNames.map(text),
    tokensUsed: r.tokensUsed,
    costUsd: r.costUsd,
    errorCode: r.errorCode ? text(r.errorCode) : null,
    errorMessage: r.errorMessage ? text(r.errorMessage) : null,
  };
}

type Chat = { waha: WahaChannelConfig; chatId: string } | null;

/** Where the typing indicator goes: nowhere without a channel or a chat id. */
function chatFrom(rows: ChatTargetRows): Chat {
  const { channel, chatId } = chatTargetFrom(rows);
  return channel && chatId ? { waha: wahaConfigOf(channel), chatId } : null;
}

/** The burst's messages, in order. */
function burstTextsQuery(svc: ServiceContext, turn: Turn) {
  return svc.db.query
    .select({ id: schema.messages.id, body: schema.messages.body })
    .from(schema.messages)
    .where(
      inScope(
        schema.messages,
        svc.principal,
        inArray(
          schema.messages.id,
          turn.messages.map((m) => m.messageId),
        ),
      ),
    )
    .orderBy(asc(schema.messages.id));
}

async function callAgent(
  deps: TurnDeps,
  svc: ServiceContext,
  turn: Turn,
  settings: EffectiveAiSettings,
  read: { texts: { id: string; body: string | null }[]; chat: Chat },
): Promise<StoredResponse> {
  const client = deps.agentService!;
  const { texts, chat } = read;
  const last = turn.messages[turn.messages.length - 1]!.messageId;
  const input = {
    agentType: settings.agentType,
    executionId: turn.executionId,
    tenantId: turn.tenantId,
    projectId: turn.projectId,
    contactId: turn.contactId,
    sessionId: turn.sessionId,
    messageId: last,
    inputText: texts
      .map((t) => t.body ?? "")
      .filter(Boolean)
      .join("\n"),
    metadata: { channel_id: turn.channelId ?? "", message_ids: turn.messages.map((m) => m.messageId).join(",") },
    timeoutSeconds: settings.timeoutSeconds,
    streaming: settings.streaming,
  };
  const mcp = deps.mcpUrl
    ? {
        url: deps.mcpUrl,
        key: await issueAgentToken(deps.signingSecret, { ...turn, timeoutSeconds: settings.timeoutSeconds }),
      }
    : undefined;
  const typing = async (on: boolean) => {
    if (!chat) return;
    await setTypingViaWaha(chat.waha, chat.chatId, on).catch((err) => svc.log.warn("typing indicator failed", { err }));
  };
  // Shown while the agent starts: not waited for (the order start → stop is kept in `finally`).
  const typingShown = Promise.all([
    typing(true),
    deps.relay("agent.typing", { executionId: turn.executionId, sessionId: turn.sessionId, typing: true }),
  ]).catch(() => {});
  try {
    if (!settings.streaming) return fromResponse(await client.execute(input, { mcp }));
    let final: StoredResponse | null = null;
    for await (const event of client.executeStream(input, { mcp })) {
      final = (await relayEvent(deps, turn, event)) ?? final;
    }
    return final ?? failure("bad_gateway", "the agent's stream ended without a result");
  } catch (err) {
    const error = normalizeError(err);
    const reason = (error.details as { reason?: string } | undefined)?.reason;
    return failure(reason === "timeout" ? "timeout" : reason === "cancelled" ? "cancelled" : (reason ?? error.code), error.message);
  } finally {
    await typingShown;
    await Promise.all([
      typing(false),
      deps.relay("agent.typing", { executionId: turn.executionId, sessionId: turn.sessionId, typing: false }),
    ]);
  }
}

async function relayEvent(deps: TurnDeps, turn: Turn, event: AgentExecutionEvent): Promise<StoredResponse | null> {
  const base = { executionId: turn.executionId, sessionId: turn.sessionId, sequence: event.sequence };
  const e = event.event;
  switch (e.case) {
    case "started":
    case "subAgentStarted":
    case "toolCalled": {
      const detail =
        e.case === "subAgentStarted"
          ? { subAgent: e.value.subAgentType }
          : e.case === "toolCalled"
            ? { subAgent: e.value.subAgentType, tool: e.value.toolName }
            : { agentType: e.value.agentType };
      await deps.relay("agent.typing", { ...base, typing: true, step: e.case, ...detail });
      return null;
    }
    case "partialText":
      await deps.relay("agent.partial", { ...base, delta: e.value.delta });
      return null;
    case "completed":
    case "failed":
      return e.value.response ? fromResponse(e.value.response) : failure("bad_gateway", "the agent's last event had no response");
    default:
      return null;
  }
}

/** Reply (or failure policy), actions, then the final status with its event — in that order, each step repeatable. */
async function finish(
  deps: TurnDeps,
  svc: ServiceContext,
  turn: Turn & { aiAgentId: string | null },
  settings: EffectiveAiSettings,
  r: StoredResponse,
  now: () => number,
): Promise<TurnOutcome> {
  const ok = r.status === "success" || r.status === "completed";
  let replyMessageId: string | null = null;
  const applied: { actionType: string; tool: string | null; outcome: string; errorCode?: string }[] = [];
  if (ok && r.text.trim()) {
    replyMessageId = await reply(deps, svc, turn, r.text, { model: r.model });
  }
  if (ok) {
    for (const action of r.actions) applied.push(await applyAction(deps, svc, turn, action));
  } else {
    replyMessageId = await applyFailurePolicy(deps, svc, turn, settings, r);
  }
  const status = ok ? "succeeded" : r.status === "timeout" ? "timed_out" : r.status === "cancelled" ? "cancelled" : "failed";
  const completedAt = new Date(now());
  const e = schema.agentExecutions;
  const [row] = await svc.db.query.select({ queuedAt: e.queuedAt }).from(e).where(eq(e.id, turn.executionId));
  const total = row?.queuedAt ? completedAt.getTime() - row.queuedAt.getTime() : 0;
  const overheadMs = Math.max(0, total - turn.quietWindowMs - r.executionTimeMs);
  const eventId = await deterministicId(`ai-response-event:${turn.executionId}`);
  const payload = {
    executionId: turn.executionId,
    sessionId: turn.sessionId,
    contactId: turn.contactId,
    channelId: turn.channelId,
    messageId: replyMessageId,
    agentType: settings.agentType,
    status,
  };
  // One statement: the status moves from running once, and only then is agent.response_generated written.
  const result = await svc.db.query.execute(sql`
    with done as (
      update agent_executions set status = ${status}, completed_at = ${completedAt.toISOString()}::timestamptz,
        updated_at = ${completedAt.toISOString()}::timestamptz, overhead_ms = ${overheadMs}, reply_message_id = ${replyMessageId},
        error_code = ${ok ? null : r.errorCode}, error_message = ${ok ? null : (r.errorMessage ?? "").slice(0, 1000)},
        duration_ms = ${total}, agent_ms = ${r.executionTimeMs},
        output = coalesce(output, '{}'::jsonb) || jsonb_build_object('actions', ${JSON.stringify(applied)}::jsonb)
      where id = ${turn.executionId} and project_id = ${turn.projectId} and status = 'running'
      returning id)
    insert into outbox (id, tenant_id, project_id, topic, payload)
    select ${eventId}, ${turn.tenantId}, ${turn.projectId}, 'agent.response_generated', ${JSON.stringify(payload)}::jsonb from done
    on conflict (id) do nothing
    returning id`);
  if (result.rows.length) {
    await deps.publish([
      {
        id: eventId,
        row: { id: eventId, topic: "agent.response_generated", tenantId: turn.tenantId, projectId: turn.projectId, payload },
      },
    ]);
  }
  return { status, replyMessageId };
}

async function reply(
  deps: TurnDeps,
  svc: ServiceContext,
  turn: Turn & { aiAgentId?: string | null },
  text: string,
  meta: Record<string, unknown>,
): Promise<string> {
  const message = await sendMessage(
    svc,
    {
      contactId: turn.contactId,
      channelId: turn.channelId ?? undefined,
      contentType: "text",
      // Cut on whole characters; anything else Postgres would refuse, sendMessage makes storable.
      text: truncateText(text, 4096),
      ...(turn.aiAgentId ? { agentId: turn.aiAgentId } : {}),
    },
    { id: turn.executionId, metadata: { executionId: turn.executionId, ...meta } },
  );
  // The send starts as soon as message.created is live; queueing and marking the events run meanwhile.
  const deliver = deps.deliverNow
    ? () => deps.deliverNow!(message.id).catch((err) => svc.log.warn("direct delivery failed; the queue sends it", { err }))
    : undefined;
  const written = svc.outbox.takePending();
  if (written.length) await deps.publish(written, deliver);
  else await deliver?.();
  return message.id;
}

async function applyAction(deps: TurnDeps, svc: ServiceContext, turn: Turn, action: StoredResponse["actions"][number]) {
  const tool = ALLOWED_ACTIONS[action.actionType];
  if (!tool) {
    svc.log.warn("agent action not allowed; ignored", { actionType: action.actionType });
    return { actionType: action.actionType, tool: null, outcome: "ignored" };
  }
  const args: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(action.data)) args[k] = parseValue(v);
  if (action.entityType === "contact" && action.entityId && args.contact_id === undefined) args.contact_id = action.entityId;
  if (
    args.contact_id === undefined &&
    ["update_contact", "update_pipeline_stage", "assign_to_agent", "add_tag", "create_note", "qualify_lead"].includes(tool)
  ) {
    args.contact_id = turn.contactId;
  }
  const call = await callTool(toolRegistry, svc, tool, args);
  const written = svc.outbox.takePending();
  if (written.length) await deps.publish(written);
  return { actionType: action.actionType, tool, outcome: call.outcome, ...(call.errorCode ? { errorCode: call.errorCode } : {}) };
}

/** Map values travel as strings (proto map<string,string>): JSON where they parse as JSON, else the string. */
function parseValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

async function applyFailurePolicy(
  deps: TurnDeps,
  svc: ServiceContext,
  turn: Turn & { aiAgentId: string | null },
  settings: EffectiveAiSettings,
  r: StoredResponse,
) {
  svc.log.warn("agent execution failed", { code: r.errorCode, policy: settings.onFailure });
  if (settings.onFailure === "fallback_text" && settings.fallbackText) {
    return reply(deps, svc, turn, settings.fallbackText, { fallback: true, errorCode: r.errorCode });
  }
  if (settings.onFailure === "handover") {
    if (settings.handoverAgentId) {
      await callTool(toolRegistry, svc, "assign_to_agent", { contact_id: turn.contactId, agent_id: settings.handoverAgentId });
    }
    const intro = settings.handoverNote ?? "AI agent could not answer; handed over to a human.";
    const body = `${intro} (execution ${turn.executionId}: ${r.errorCode ?? "error"})`;
    // One note per execution: a run retried after a crash finds the note it already wrote (turns of a session are
    // serialised by its room, so nothing writes it concurrently).
    // A note that cannot be written (the contact was deleted meanwhile) does not fail the turn: the handover is done.
    const noteId = await deterministicId(`ai-handover-note:${turn.executionId}`);
    try {
      const [existing] = await svc.db.query
        .select({ id: schema.notes.id })
        .from(schema.notes)
        .where(inScope(schema.notes, svc.principal, eq(schema.notes.id, noteId)));
      if (!existing) await createNote(svc, turn.contactId, { body, pinned: false, sessionId: turn.sessionId }, { id: noteId });
    } catch (err) {
      svc.log.warn("handover note not written", { err });
    }
    const written = svc.outbox.takePending();
    if (written.length) await deps.publish(written);
  }
  return null;
}
