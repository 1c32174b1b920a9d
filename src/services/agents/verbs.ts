import { eq } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { agentKindEnum } from "../../db/schema/enums";
import { findScoped, listScoped, PageQuery } from "../shared/crud";
import { nothing, page, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { AgentInput, AgentUpdateInput, createAgent, deleteAgent, updateAgent } from "./index";

const Agent = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    kind: z.enum(agentKindEnum.enumValues),
    name: z.string(),
    userId: z.string().nullable().describe("For human agents: the CRM user behind the agent"),
    config: z.record(z.string(), z.unknown()),
    active: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Agent" });

const agentId = z.uuid().describe("The agent id");

export const listAgentsVerb = defineVerb({
  name: "agents.list",
  summary: "List the project's agents (human and AI), newest first",
  permission: "crm:read",
  input: PageQuery.extend({ kind: z.enum(agentKindEnum.enumValues).optional() }),
  output: page(Agent, "AgentPage"),
  emits: [],
  run: (ctx, { kind, ...q }) => listScoped(ctx, schema.agents, q, kind ? eq(schema.agents.kind, kind) : undefined),
});

export const createAgentVerb = defineVerb({
  name: "agents.create",
  summary: "Create an agent",
  permission: "agents:manage",
  input: AgentInput,
  output: Agent,
  emits: ["agent.created"],
  run: createAgent,
});

export const getAgentVerb = defineVerb({
  name: "agents.get",
  summary: "Get an agent",
  permission: "crm:read",
  input: z.object({ agentId }),
  output: Agent,
  emits: [],
  run: (ctx, { agentId }) => findScoped(ctx, schema.agents, agentId, "Agent"),
});

export const updateAgentVerb = defineVerb({
  name: "agents.update",
  summary: "Update an agent",
  permission: "agents:manage",
  input: AgentUpdateInput.extend({ agentId }),
  output: Agent,
  emits: ["agent.updated"],
  run: (ctx, { agentId, ...fields }) => updateAgent(ctx, agentId, fields),
});

export const deleteAgentVerb = defineVerb({
  name: "agents.delete",
  summary: "Delete an agent (contacts and sessions assigned to it become unassigned)",
  permission: "agents:manage",
  input: z.object({ agentId }),
  output: nothing,
  emits: ["agent.deleted"],
  run: (ctx, { agentId }) => deleteAgent(ctx, agentId),
});
