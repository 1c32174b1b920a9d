import { sql } from "drizzle-orm";
import { check, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts } from "./columns";
import { actorTypeEnum } from "./enums";
import { scope } from "./scope";
import { projects, tenants } from "./tenancy";

/** Transactional outbox: written in the domain transaction, published to the queue after commit. */
export const outbox = pgTable(
  "outbox",
  {
    id: id(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    topic: text("topic").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    createdAt: createdAt(),
    publishedAt: ts("published_at"),
    attempts: integer("attempts").notNull().default(0),
    lastError: text("last_error"),
  },
  (t) => [index("outbox_unpublished_idx").on(t.createdAt).where(sql`${t.publishedAt} is null`)],
);

/** Webhook deliveries already handled, so a retried or duplicated delivery is acknowledged without effect. */
export const processedWebhookEvents = pgTable(
  "processed_webhook_events",
  {
    id: id(),
    source: text("source").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    eventType: text("event_type").notNull(),
    outcome: text("outcome").notNull().default("processed"),
    /** Why a delivery was rejected (outcome `rejected`): it can never be processed, so it was acknowledged, not retried. */
    reason: text("reason"),
    receivedAt: createdAt(),
  },
  (t) => [uniqueIndex("processed_webhook_events_uq").on(t.source, t.dedupeKey)],
);

/** The statuses an agent run moves through (queued → running → a final one, or skipped when not run). */
export const AGENT_EXECUTION_STATUSES = ["queued", "running", "succeeded", "failed", "timed_out", "cancelled", "skipped"] as const;
/** A tool call's outcome. */
export const TOOL_CALL_OUTCOMES = ["ok", "error"] as const;
const oneOf = (values: readonly string[]) => sql.raw(values.map((v) => `'${v}'`).join(", "));

/**
 * One row per agent run (`kind` "execution": the row id is the execution id sent to the agent service) or MCP tool
 * call (`kind` "tool_call", linked to its execution by `parent_execution_id` when an agent's execution token made it).
 * A decision not to run an agent is an execution with status "skipped" and its reason in `decision`.
 */
export const agentExecutions = pgTable(
  "agent_executions",
  {
    id: id(),
    ...scope(),
    agentId: uuid("agent_id"),
    sessionId: uuid("session_id"),
    actorType: actorTypeEnum("actor_type").notNull(),
    actorId: text("actor_id"),
    kind: text("kind").$type<"execution" | "tool_call">().notNull(),
    name: text("name").notNull(),
    status: text("status").$type<(typeof AGENT_EXECUTION_STATUSES)[number] | (typeof TOOL_CALL_OUTCOMES)[number]>().notNull(),
    durationMs: integer("duration_ms"),
    errorCode: text("error_code"),
    input: jsonb("input").$type<unknown>(),
    output: jsonb("output").$type<unknown>(),
    createdAt: createdAt(),
    parentExecutionId: uuid("parent_execution_id"),
    contactId: uuid("contact_id"),
    channelId: uuid("channel_id"),
    messageIds: jsonb("message_ids").$type<string[]>(),
    agentType: text("agent_type"),
    decision: jsonb("decision").$type<{ handled: boolean; reason: string }>(),
    queuedAt: ts("queued_at"),
    startedAt: ts("started_at"),
    completedAt: ts("completed_at"),
    agentMs: integer("agent_ms"),
    overheadMs: integer("overhead_ms"),
    subAgents: jsonb("sub_agents").$type<string[]>(),
    mcpTools: jsonb("mcp_tools").$type<string[]>(),
    tokensUsed: integer("tokens_used"),
    costUsd: doublePrecision("cost_usd"),
    errorMessage: text("error_message"),
    replyMessageId: uuid("reply_message_id"),
    model: text("model"),
    updatedAt: ts("updated_at"),
  },
  (t) => [
    index("agent_executions_scope_idx").on(t.tenantId, t.projectId, t.createdAt),
    index("agent_executions_kind_idx").on(t.tenantId, t.projectId, t.kind, t.id),
    index("agent_executions_parent_idx").on(t.parentExecutionId).where(sql`${t.parentExecutionId} is not null`),
    index("agent_executions_contact_idx").on(t.contactId, t.createdAt).where(sql`${t.kind} = 'execution'`),
    // Metrics count by kind and status: a row with any other value would be silently left out of them.
    check(
      "agent_executions_kind_status_check",
      sql`(${t.kind} = 'execution' and ${t.status} in (${oneOf(AGENT_EXECUTION_STATUSES)}))
        or (${t.kind} = 'tool_call' and ${t.status} in (${oneOf(TOOL_CALL_OUTCOMES)}))`,
    ),
  ],
);

/** Queue messages that exhausted their retries (delivered by the dead-letter queue), kept for inspection and replay. */
export const deadLetters = pgTable(
  "dead_letters",
  {
    id: id(),
    tenantId: uuid("tenant_id").references(() => tenants.id, { onDelete: "cascade" }),
    projectId: uuid("project_id").references(() => projects.id, { onDelete: "cascade" }),
    outboxId: uuid("outbox_id").notNull(),
    topic: text("topic").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    queue: text("queue").notNull(),
    attempts: integer("attempts").notNull().default(0),
    receivedAt: createdAt(),
    replayedAt: ts("replayed_at"),
    replayCount: integer("replay_count").notNull().default(0),
  },
  (t) => [uniqueIndex("dead_letters_outbox_uq").on(t.outboxId), index("dead_letters_scope_idx").on(t.tenantId, t.projectId, t.receivedAt)],
);
