import { z } from "@hono/zod-openapi";
import { schema } from "../../db";
import { AgentInput, AgentUpdateInput, createAgent, deleteAgent, updateAgent } from "../../services/agents";
import { findScoped, listScoped, PageQuery } from "../../services/shared/crud";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, noContent, page, resource } from "../openapi";
import { createRouter } from "../router";

const Agent = resource("Agent", { kind: z.enum(["human", "ai"]), name: z.string(), userId: z.string().nullable(), active: z.boolean() });
const tags = ["Agents"];

const list = authedRoute("crm:read", { method: "get", path: "/agents", tags, summary: "List agents (human and AI)", request: { query: PageQuery }, responses: { 200: json(page(Agent, "AgentPage"), "Agents"), ...authErrors() } });
const create = authedRoute("agents:manage", { method: "post", path: "/agents", tags, summary: "Create an agent", request: { body: jsonBody(AgentInput) }, responses: { 201: json(Agent, "Created"), ...authErrors(), ...errors(422) } });
const get = authedRoute("crm:read", { method: "get", path: "/agents/{id}", tags, summary: "Get an agent", request: { params: IdParam }, responses: { 200: json(Agent, "The agent"), ...authErrors() } });
const update = authedRoute("agents:manage", { method: "patch", path: "/agents/{id}", tags, summary: "Update an agent", request: { params: IdParam, body: jsonBody(AgentUpdateInput) }, responses: { 200: json(Agent, "Updated"), ...authErrors(), ...errors(422) } });
const remove = authedRoute("agents:manage", { method: "delete", path: "/agents/{id}", tags, summary: "Delete an agent", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });

export const agentRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json(await listScoped(c.var.svc, schema.agents, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    return c.json(await createAgent(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => {
    return c.json(await findScoped(c.var.svc, schema.agents, c.req.valid("param").id, "Agent"), 200);
  })
  .openapi(update, async (c) => {
    return c.json(await updateAgent(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    await deleteAgent(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  });
