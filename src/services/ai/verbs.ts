import { z } from "zod";
import { nullableTimestamp, page, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { ExecutionListQuery, executionMetrics, getExecution, listExecutions, MetricsQuery } from "./executions";
import {
  AiChannelOverride,
  AiSettingsFields,
  AiSettingsStored,
  AiSettingsUpdate,
  getAiSettings,
  releaseSessionToAi,
  updateChannelAiSettings,
  updateProjectAiSettings,
} from "./settings";

const Stored = AiSettingsStored;
const AiSettings = z
  .object({
    configured: z.boolean().describe("Whether the project ever saved AI settings (decisions are recorded only then)"),
    project: Stored.describe("The project's stored values (null: the default)"),
    effective: AiSettingsFields.describe("The project's values in force"),
    channels: z.array(
      z.object({
        channelId: z.string(),
        overrides: Stored.describe("The channel's stored overrides (null: inherit the project's)"),
        effective: AiSettingsFields,
      }),
    ),
  })
  .meta({ id: "AiSettings" });

export const getAiSettingsVerb = defineVerb({
  name: "ai_settings.get",
  summary: "AI agent settings of the project, with each channel's overrides and the values in force",
  permission: "crm:read",
  input: z.object({}),
  output: AiSettings,
  emits: [],
  run: (ctx) => getAiSettings(ctx),
});

export const updateAiSettingsVerb = defineVerb({
  name: "ai_settings.update",
  summary: "Change the project's AI agent settings (the given fields; the others keep their values)",
  permission: "agents:manage",
  input: AiSettingsUpdate,
  rules: (input) => (Object.values(input).some((v) => v !== undefined) ? [] : [{ path: "", message: "give at least one field to change" }]),
  output: AiSettings,
  emits: ["ai_settings.updated"],
  run: updateProjectAiSettings,
});

export const updateChannelAiSettingsVerb = defineVerb({
  name: "ai_settings.update_channel",
  summary: "Override AI agent settings for one channel (null: inherit the project's value)",
  permission: "agents:manage",
  input: AiChannelOverride.extend({ channelId: z.uuid().describe("The channel id") }),
  output: AiSettings,
  emits: ["ai_settings.updated"],
  run: (ctx, { channelId, ...input }) => updateChannelAiSettings(ctx, channelId, input),
});

const Execution = z
  .looseObject({
    id: z.string().describe("The execution id (sent to the agent service); for a tool call, the call's id"),
    kind: z.string().describe("execution | tool_call"),
    name: z.string(),
    status: z.string(),
    agentType: z.string().nullable(),
    parentExecutionId: z.string().nullable().describe("For a tool call: the execution whose credential made it"),
    sessionId: z.string().nullable(),
    contactId: z.string().nullable(),
    channelId: z.string().nullable(),
    messageIds: z.array(z.string()).nullable().describe("The burst of customer messages answered"),
    decision: z.object({ handled: z.boolean(), reason: z.string() }).nullable(),
    queuedAt: nullableTimestamp,
    startedAt: nullableTimestamp,
    completedAt: nullableTimestamp,
    durationMs: z.number().nullable(),
    agentMs: z.number().nullable().describe("The agent service's own execution time"),
    overheadMs: z.number().nullable().describe("Our time: latency minus the agent's time and the quiet window"),
    subAgents: z.array(z.string()).nullable(),
    mcpTools: z.array(z.string()).nullable(),
    tokensUsed: z.number().nullable(),
    costUsd: z.number().nullable(),
    errorCode: z.string().nullable(),
    errorMessage: z.string().nullable(),
    replyMessageId: z.string().nullable(),
    model: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "AgentExecution" });

export const listExecutionsVerb = defineVerb({
  name: "agent_executions.list",
  summary: "AI agent executions (and decisions not to run one, status skipped) or MCP tool calls, newest first",
  permission: "crm:read",
  input: ExecutionListQuery,
  output: page(Execution, "AgentExecutionPage"),
  emits: [],
  run: listExecutions,
});

export const getExecutionVerb = defineVerb({
  name: "agent_executions.get",
  summary: "One AI agent execution with the MCP tool calls its agent made",
  permission: "crm:read",
  input: z.object({ executionId: z.uuid().describe("The execution id") }),
  output: Execution.extend({ toolCalls: z.array(Execution) }).meta({ id: "AgentExecutionDetail" }),
  emits: [],
  run: (ctx, { executionId }) => getExecution(ctx, executionId),
});

const Percentiles = z.object({ p50: z.number().nullable(), p95: z.number().nullable() });
export const executionMetricsVerb = defineVerb({
  name: "agent_executions.metrics",
  summary: "AI agent execution metrics by agent type and period: latency, agent time and overhead p50/p95, success rate, tokens, cost",
  permission: "crm:read",
  input: MetricsQuery,
  output: z
    .object({
      period: z.enum(["hour", "day", "week", "month"]),
      since: timestamp,
      until: timestamp,
      data: z.array(
        z.object({
          agentType: z.string(),
          periodStart: timestamp,
          executions: z.number(),
          succeeded: z.number(),
          failed: z.number(),
          timedOut: z.number(),
          skipped: z.number(),
          successRate: z.number().nullable(),
          latencyMs: Percentiles,
          agentMs: Percentiles,
          overheadMs: Percentiles,
          tokens: z.number(),
          costUsd: z.number(),
        }),
      ),
    })
    .meta({ id: "AgentExecutionMetrics" }),
  emits: [],
  run: executionMetrics,
});

export const releaseSessionToAiVerb = defineVerb({
  name: "ai_settings.release_session",
  summary: "Hand a conversation back to the AI agent: earlier human replies no longer silence it (human takeover ends)",
  permission: "sessions:write",
  input: z.object({ sessionId: z.uuid().describe("The session id") }),
  output: z.object({ sessionId: z.string(), agentId: z.string().nullable(), aiReleasedAt: timestamp }).meta({ id: "SessionReleasedToAi" }),
  emits: ["session.assigned"],
  run: (ctx, { sessionId }) => releaseSessionToAi(ctx, sessionId),
});
