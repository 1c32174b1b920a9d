import { createRoute, z } from "@hono/zod-openapi";
import { schema } from "../../db";
import { AgentInput, AgentUpdateInput, createAgent, deleteAgent, updateAgent } from "../../services/agents";
import { authorize } from "../../services/auth/permissions";
import { findScoped, listScoped, PageQuery } from "../../services/shared/crud";
import { authErrors, errors, IdParam, json, jsonBody, noContent, page, resource, security } from "../openapi";
import { createRouter } from "../router";

const Agent = resource("Agent", { kind: z.enum(["human", "ai"]), name: z.string(), userId: z.string().nullable(), active: z.boolean() });
const tags = ["Agents"];

const list = createRoute({ method: "get", path: "/agents", tags, security, summary: "List agents (human and AI)", request: { query: PageQuery }, responses: { 200: json(page(Agent, "AgentPage"), "Agents"), ...authErrors() } });
const create = createRoute({ method: "post", path: "/agents", tags, security, summary: "Create an agent", request: { body: jsonBody(AgentInput) }, responses: { 201: json(Agent, "Created"), ...authErrors(), ...errors(422) } });
const get = createRoute({ method: "get", path: "/agents/{id}", tags, security, summary: "Get an agent", request: { params: IdParam }, responses: { 200: json(Agent, "The agent"), ...authErrors() } });
const update = createRoute({ method: "patch", path: "/agents/{id}", tags, security, summary: "Update an agent", request: { params: IdParam, body: jsonBody(AgentUpdateInput) }, responses: { 200: json(Agent, "Updated"), ...authErrors(), ...errors(422) } });
const remove = createRoute({ method: "delete", path: "/agents/{id}", tags, security, summary: "Delete an agent", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });

export const agentRoutes = createRouter()
  .openapi(list, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json(await listScoped(c.var.svc, schema.agents, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    authorize(c.var.principal, "agents:manage");
    return c.json(await createAgent(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json(await findScoped(c.var.svc, schema.agents, c.req.valid("param").id, "Agent"), 200);
  })
  .openapi(update, async (c) => {
    authorize(c.var.principal, "agents:manage");
    return c.json(await updateAgent(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    authorize(c.var.principal, "agents:manage");
    await deleteAgent(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  });
