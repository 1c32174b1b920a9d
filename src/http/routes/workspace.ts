import { z } from "@hono/zod-openapi";
import { ApiKeyInput, createApiKey, listApiKeys, revokeApiKey } from "../../services/api-keys";
import { addMember, listMembers, MemberInput, MemberUpdateInput, removeMember, updateMember } from "../../services/members";
import { createProject, currentProject, listProjects, ProjectInput, ProjectSettingsInput, updateCurrentProject } from "../../services/projects";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, noContent, resource } from "../openapi";
import { createRouter } from "../router";

const Project = resource("Project", { tenantId: z.string(), name: z.string(), slug: z.string(), settings: z.record(z.string(), z.unknown()) });
const Member = resource("Member", { role: z.string(), user: z.object({ id: z.string(), email: z.string(), name: z.string() }) });
const ApiKey = resource("ApiKey", { name: z.string(), prefix: z.string(), role: z.string(), lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable() });
const NewApiKey = ApiKey.extend({ key: z.string().describe("The key itself — shown only in this response") }).openapi("NewApiKey");

const listP = authedRoute("crm:read", { method: "get", path: "/projects", tags: ["Projects"], summary: "Projects the caller can enter", responses: { 200: json(z.object({ data: z.array(Project) }), "Projects"), ...authErrors() } });
const createP = authedRoute("projects:manage", { method: "post", path: "/projects", tags: ["Projects"], summary: "Create a project in the tenant", request: { body: jsonBody(ProjectInput) }, responses: { 201: json(Project, "Created"), ...authErrors(), ...errors(409) } });
const getP = authedRoute("crm:read", { method: "get", path: "/projects/current", tags: ["Projects"], summary: "The project of the current token", responses: { 200: json(Project, "Project"), ...authErrors() } });
const patchP = authedRoute("projects:manage", { method: "patch", path: "/projects/current", tags: ["Projects"], summary: "Rename the project or change its settings", request: { body: jsonBody(ProjectSettingsInput) }, responses: { 200: json(Project, "Updated"), ...authErrors() } });
const listMem = authedRoute("members:read", { method: "get", path: "/members", tags: ["Members"], summary: "Members of the project and their roles", responses: { 200: json(z.object({ data: z.array(Member) }), "Members"), ...authErrors() } });
const addMem = authedRoute("members:manage", { method: "post", path: "/members", tags: ["Members"], summary: "Add a member (creates the account if the email is new)", request: { body: jsonBody(MemberInput) }, responses: { 201: json(Member, "Added"), ...authErrors(), ...errors(409) } });
const patchMem = authedRoute("members:manage", { method: "patch", path: "/members/{id}", tags: ["Members"], summary: "Change a member's role", request: { params: IdParam, body: jsonBody(MemberUpdateInput) }, responses: { 200: json(z.looseObject({ id: z.string() }), "Updated"), ...authErrors(), ...errors(409) } });
const delMem = authedRoute("members:manage", { method: "delete", path: "/members/{id}", tags: ["Members"], summary: "Remove a member (revokes their refresh tokens)", request: { params: IdParam }, responses: { 204: noContent, ...authErrors(), ...errors(409) } });
const listK = authedRoute("api_keys:manage", { method: "get", path: "/api-keys", tags: ["API keys"], summary: "API keys of the project (never the keys themselves)", responses: { 200: json(z.object({ data: z.array(ApiKey) }), "Keys"), ...authErrors() } });
const createK = authedRoute("api_keys:manage", { method: "post", path: "/api-keys", tags: ["API keys"], summary: "Create an API key scoped to this project and a role", request: { body: jsonBody(ApiKeyInput) }, responses: { 201: json(NewApiKey, "Created"), ...authErrors() } });
const revokeK = authedRoute("api_keys:manage", { method: "delete", path: "/api-keys/{id}", tags: ["API keys"], summary: "Revoke an API key", request: { params: IdParam }, responses: { 200: json(ApiKey, "Revoked"), ...authErrors() } });

export const workspaceRoutes = createRouter()
  .openapi(listP, async (c) => {
    return c.json({ data: await listProjects(c.var.svc) }, 200);
  })
  .openapi(createP, async (c) => {
    return c.json(await createProject(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(getP, async (c) => {
    return c.json(await currentProject(c.var.svc), 200);
  })
  .openapi(patchP, async (c) => {
    return c.json(await updateCurrentProject(c.var.svc, c.req.valid("json")), 200);
  })
  .openapi(listMem, async (c) => {
    return c.json({ data: await listMembers(c.var.svc) }, 200);
  })
  .openapi(addMem, async (c) => {
    return c.json(await addMember(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(patchMem, async (c) => {
    return c.json(await updateMember(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(delMem, async (c) => {
    await removeMember(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(listK, async (c) => {
    return c.json({ data: await listApiKeys(c.var.svc) }, 200);
  })
  .openapi(createK, async (c) => {
    return c.json({ ...(await createApiKey(c.var.svc, c.req.valid("json"))), lastUsedAt: null, revokedAt: null }, 201);
  })
  .openapi(revokeK, async (c) => {
    return c.json(await revokeApiKey(c.var.svc, c.req.valid("param").id), 200);
  });
