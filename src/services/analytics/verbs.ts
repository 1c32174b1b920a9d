import { z } from "zod";
import { defineVerb } from "../verbs/define";
import {
  AgentStatsInput,
  AnalyzeAgentInput,
  agentStats,
  analyzeAgentMessages,
  CompareAgentsInput,
  compareAgents,
  LeadsCountInput,
  leadsCount,
  TopAgentInput,
  topAgent,
} from "./index";

// Statistic rows come from SQL with snake_case columns; they are figures, described loosely on purpose.
const Row = z.record(z.string(), z.unknown());
const period = { from: z.string(), to: z.string() };

export const leadsCountVerb = defineVerb({
  name: "analytics.leads_count",
  summary: "Number of leads (contacts created in the period) by pipeline, stage, tag or period",
  permission: "crm:read",
  input: LeadsCountInput,
  output: z.object({ groupBy: z.string(), ...period, total: z.number(), buckets: z.array(Row) }),
  emits: [],
  run: leadsCount,
});

export const agentStatsVerb = defineVerb({
  name: "analytics.agent_stats",
  summary: "Per-agent messages sent, sessions handled, average first-response and resolution times",
  permission: "crm:read",
  input: AgentStatsInput,
  output: z.object({ ...period, agents: z.array(Row) }),
  emits: [],
  run: agentStats,
});

export const topAgentVerb = defineVerb({
  name: "analytics.top_agent",
  summary: "The best agent by a metric over a period (response and resolution times: lowest wins)",
  permission: "crm:read",
  input: TopAgentInput,
  output: z.object({ metric: z.string(), ...period, top: Row.nullable(), ranking: z.array(Row) }),
  emits: [],
  run: topAgent,
});

export const analyzeAgentMessagesVerb = defineVerb({
  name: "analytics.analyze_agent_messages",
  summary: "An agent's message volume, reply times, content mix and activity by hour and day",
  permission: "crm:read",
  input: AnalyzeAgentInput,
  output: z.looseObject({ agent: z.object({ id: z.string(), name: z.string(), kind: z.string() }), ...period }),
  emits: [],
  run: analyzeAgentMessages,
});

export const compareAgentsVerb = defineVerb({
  name: "analytics.compare_agents",
  summary: "Side-by-side stats of 2–10 agents over a period",
  permission: "crm:read",
  input: CompareAgentsInput,
  output: z.object({ ...period, agents: z.array(Row.optional()) }),
  emits: [],
  run: compareAgents,
});
