import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { sign } from "hono/jwt";
import { beforeAll, describe, expect, it } from "vitest";
import { recordSkipped } from "../../src/services/ai/orchestrate";
import { can, type Permission } from "../../src/services/auth/permissions";
import type { Role } from "../../src/services/auth/principal";
import { recordDeadLetter } from "../../src/services/dead-letters";
import { RulesExtractor } from "../../src/services/memory/extraction";
import { extractDocumentKnowledge } from "../../src/services/memory/knowledge/extract";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { tokenFor } from "../support/invitations";
import { observePixPreference } from "../support/knowledge";
import { memoryContext, uploadAndProcess } from "../support/memory";

/**
 * Every route in the OpenAPI document is tried without credentials, with forged ones, with every role its
 * permission excludes, and (as an admin of tenant A) against tenant B's resources. A route added without a
 * permission, or one that leaks across tenants, fails here without anyone writing a new test.
 */
const db = testDatabase();
const PUBLIC = new Set(["POST /api/v1/auth/login", "POST /api/v1/auth/refresh", "POST /api/v1/auth/invitations/{token}/accept"]);
const ROLES: Role[] = ["admin", "manager", "user", "readonly"];

interface Op {
  method: string;
  path: string;
  permission?: Permission;
}

async function operations(): Promise<Op[]> {
  const doc = (await api("/openapi.json")).body;
  expect(doc.openapi).toBe("3.1.0");
  return Object.entries<any>(doc.paths).flatMap(([path, ops]) =>
    Object.entries<any>(ops).map(([method, op]) => ({ method: method.toUpperCase(), path, permission: op["x-permission"] })),
  );
}

const fill = (path: string, ids: Record<string, string> = {}) => path.replace(/\{(\w+)\}/g, (_, name) => ids[name] ?? crypto.randomUUID());

describe("security matrix over every documented route", () => {
  let ops: Op[];
  let a: Awaited<ReturnType<typeof createActors>>;
  let b: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    ops = await operations();
    [a, b] = await Promise.all([createActors(db), createActors(db)]);
  });

  it("documents a permission for every API route that is not public", () => {
    expect(ops.length).toBeGreaterThan(60);
    const missing = ops.filter(
      (o) => o.path.startsWith("/api/") && !PUBLIC.has(`${o.method} ${o.path}`) && !o.permission && o.path !== "/api/v1/auth/logout",
    );
    expect(missing).toEqual([]);
  });

  it("answers 401 without a token and with a forged or expired one", async () => {
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: a.user.id, tid: a.tenant.id, pid: a.project.id, role: "admin", typ: "access", iss: "ventros-crm" };
    const forged = await sign({ ...claims, iat: now, exp: now + 600 }, "x".repeat(48), "HS256");
    const expired = await sign({ ...claims, iat: now - 7200, exp: now - 3600 }, env.JWT_SECRET, "HS256");
    for (const op of ops.filter((o) => o.permission || o.path === "/api/v1/auth/logout")) {
      for (const token of [undefined, forged, expired]) {
        const res = await api(fill(op.path), {
          method: op.method,
          token,
          body: op.method === "GET" || op.method === "DELETE" ? undefined : {},
        });
        expect(res.status, `${op.method} ${op.path} token=${token ? "bad" : "none"}`).toBe(401);
        expect(res.body.error.code).toBe("unauthorized");
      }
    }
  });

  it("answers 403 to every role the permission excludes, before looking at the body", async () => {
    let checked = 0;
    for (const op of ops.filter((o) => o.permission)) {
      for (const role of ROLES.filter((r) => !can(r, op.permission!))) {
        const res = await api(fill(op.path), {
          method: op.method,
          token: a.keys[role],
          body: op.method === "GET" || op.method === "DELETE" ? undefined : { garbage: true },
        });
        expect(res.status, `${role} ${op.method} ${op.path}`).toBe(403);
        expect(res.body.error.code).toBe("forbidden");
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });

  it("treats tenant B's resources as missing for tenant A's admin on every route with an id", async () => {
    const bIds = await arrangeTenantB(b);
    const bodies: Record<string, unknown> = {
      "PATCH /api/v1/contacts/{contactId}": { name: "pwned" },
      "POST /api/v1/contacts/{contactId}/identifiers": { kind: "email", value: "pwned@example.test" },
      "PATCH /api/v1/tags/{tagId}": { name: "pwned" },
      "POST /api/v1/contacts/{contactId}/tags": { tagId: bIds.tagId },
      "POST /api/v1/contacts/{contactId}/notes": { body: "pwned" },
      "PATCH /api/v1/notes/{noteId}": { body: "pwned" },
      "PATCH /api/v1/contact-lists/{listId}": { name: "pwned" },
      "POST /api/v1/contact-lists/{listId}/members": { contactIds: [bIds.contactId] },
      "PATCH /api/v1/agents/{agentId}": { name: "pwned" },
      "PATCH /api/v1/pipelines/{pipelineId}": { name: "pwned" },
      "POST /api/v1/pipelines/{pipelineId}/stages": { name: "pwned" },
      "PATCH /api/v1/pipelines/{pipelineId}/stages/{stageId}": { name: "pwned" },
      "PUT /api/v1/pipelines/{pipelineId}/stages/order": { stageIds: [bIds.stageId] },
      "PUT /api/v1/contacts/{contactId}/stage": { stageId: bIds.stageId },
      "PATCH /api/v1/channels/{channelId}": { name: "pwned" },
      "POST /api/v1/sessions/{sessionId}/close": {},
      "PATCH /api/v1/members/{memberId}": { role: "readonly" },
      "PATCH /api/v1/facts/{factId}": { factText: "pwned" },
    };
    // Path parameters are named after the verb input field they fill, i.e. after the resource they address.
    const ids: Record<string, string> = {
      contactId: bIds.contactId,
      identifierId: bIds.identifierId,
      tagId: bIds.tagId,
      noteId: bIds.noteId,
      listId: bIds.listId,
      agentId: bIds.agentId,
      pipelineId: bIds.pipelineId,
      stageId: bIds.stageId,
      channelId: bIds.channelId,
      sessionId: bIds.sessionId,
      memberId: bIds.membershipId,
      apiKeyId: bIds.apiKeyId,
      deadLetterId: bIds.deadLetterId,
      token: bIds.invitationToken,
      documentId: bIds.documentId,
      factId: bIds.factId,
      entityId: bIds.entityId,
      executionId: bIds.executionId,
      messageId: bIds.messageId,
    };
    const withId = ops.filter((o) => o.permission && /\{\w+\}/.test(o.path));
    expect(withId.length).toBeGreaterThan(35);
    for (const op of withId) {
      // A new parameter name must get a tenant-B id here, or its route would only be tried with random ids.
      for (const [, name] of op.path.matchAll(/\{(\w+)\}/g)) expect(ids, `${op.method} ${op.path}`).toHaveProperty(name!);
      const path = fill(op.path, ids);
      const body = op.method === "GET" || op.method === "DELETE" ? undefined : (bodies[`${op.method} ${op.path}`] ?? {});
      const res = await api(path, { method: op.method, token: a.keys.admin, body });
      expect(res.status, `${op.method} ${path} ${JSON.stringify(res.body)}`).toBe(404);
      // A 404 from the service (resource not found), not from the router (no such route).
      expect(res.body.error.message, `${op.method} ${path}`).not.toMatch(/^No route/);
      expect(res.body.error.details?.resource, `${op.method} ${path}`).toBeTruthy();
    }
    // Ids smuggled through query strings and bodies are just as invisible.
    expect((await api(`/api/v1/messages?sessionId=${bIds.sessionId}`, { token: a.keys.admin })).status).toBe(404);
    expect((await api(`/api/v1/messages?contactId=${bIds.contactId}`, { token: a.keys.admin })).status).toBe(404);
    expect((await api(`/api/v1/sessions?contactId=${bIds.contactId}`, { token: a.keys.admin })).body.data).toEqual([]);
    expect((await api(`/api/v1/contacts?tagId=${bIds.tagId}`, { token: a.keys.admin })).body.data).toEqual([]);
    expect((await api("/api/v1/messages", { token: a.keys.admin, body: { contactId: bIds.contactId, text: "hi" } })).status).toBe(404);
    const aList = (await api("/api/v1/contact-lists", { token: a.keys.admin, body: { name: "A list" } })).body;
    expect(
      (await api(`/api/v1/contact-lists/${aList.id}/members`, { token: a.keys.admin, body: { contactIds: [bIds.contactId] } })).status,
    ).toBe(422);
    // And nothing of B's changed.
    const { rows } = await db.query.execute<{ name: string; revoked: boolean; role: string; notes: number }>(sql`
      select (select name from contacts where id = ${bIds.contactId}) as name,
             (select revoked_at is not null from api_keys where id = ${bIds.apiKeyId}) as revoked,
             (select role::text from memberships where id = ${bIds.membershipId}) as role,
             (select count(*)::int from notes where contact_id = ${bIds.contactId}) as notes`);
    expect(rows[0]).toEqual({ name: "B contact", revoked: false, role: "admin", notes: 1 });
  });
});

/** One of everything in tenant B, created through the API as B's admin. */
async function arrangeTenantB(b: Awaited<ReturnType<typeof createActors>>) {
  const token = b.keys.admin;
  const post = async (path: string, body: unknown) => {
    const res = await api(path, { token, body });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const channel = await b.channel();
  const contact = await post("/api/v1/contacts", { name: "B contact", phone: "+55 11 90000-0001" });
  const identifier = await post(`/api/v1/contacts/${contact.id}/identifiers`, { kind: "email", value: "b@example.test" });
  const tag = await post("/api/v1/tags", { name: "B tag" });
  await post(`/api/v1/contacts/${contact.id}/tags`, { tagId: tag.id });
  const note = await post(`/api/v1/contacts/${contact.id}/notes`, { body: "B note" });
  const list = await post("/api/v1/contact-lists", { name: "B list" });
  await post(`/api/v1/contact-lists/${list.id}/members`, { contactIds: [contact.id] });
  const agent = await post("/api/v1/agents", { kind: "ai", name: "B bot" });
  const pipeline = await post("/api/v1/pipelines", { name: "B sales", stages: [{ name: "New" }, { name: "Won", kind: "won" }] });
  const message = await post("/api/v1/messages", { contactId: contact.id, channelId: channel.id, text: "hello" });
  const members = (await api("/api/v1/members", { token })).body.data;
  const outboxId = crypto.randomUUID();
  await recordDeadLetter(
    db,
    "ventros-events-dlq",
    {
      id: outboxId,
      topic: "message.queued",
      tenantId: b.tenant.id,
      projectId: b.project.id,
      payload: { messageId: message.id },
      createdAt: new Date().toISOString(),
    },
    6,
  );
  const [dead] = (await db.query.execute<{ id: string }>(sql`select id from dead_letters where outbox_id = ${outboxId}`)).rows;
  const keys = (await api("/api/v1/api-keys", { token })).body.data;
  const invitation = await post("/api/v1/members", { email: `b-invitee-${crypto.randomUUID()}@example.test`, role: "user" });
  const document = await uploadAndProcess(db, b, { bytes: "B's own contract: R$ 1,00.", name: "b.txt", type: "text/plain" });
  // B's knowledge: the document's entities (as the queue's handler would extract them) and a fact about B's contact.
  const svc = memoryContext(db, { tenantId: b.tenant.id, projectId: b.project.id });
  await extractDocumentKnowledge(svc, new RulesExtractor(), document.id);
  const fact = await observePixPreference(svc, contact.id, message.id);
  const [entity] = (
    await db.query.execute<{ id: string }>(sql`select id from memory_entities where project_id = ${b.project.id} and entity_type = 'money'`)
  ).rows;
  const executionId = crypto.randomUUID();
  await recordSkipped(
    db,
    {
      id: executionId,
      tenantId: b.tenant.id,
      projectId: b.project.id,
      sessionId: message.sessionId,
      contactId: contact.id,
      channelId: channel.id,
      messageIds: [message.id],
    },
    { handled: false, reason: "ai_disabled" },
    "CustomerService",
    new Date(),
  );
  return {
    executionId,
    messageId: message.id as string,
    contactId: contact.id as string,
    identifierId: identifier.id as string,
    tagId: tag.id as string,
    noteId: note.id as string,
    listId: list.id as string,
    agentId: agent.id as string,
    pipelineId: pipeline.id as string,
    stageId: pipeline.stages[0].id as string,
    channelId: channel.id,
    sessionId: message.sessionId as string,
    membershipId: members[0].id as string,
    apiKeyId: keys[0].id as string,
    deadLetterId: dead!.id,
    invitationToken: await tokenFor(invitation.id),
    documentId: document.id,
    factId: fact!.factId!,
    entityId: entity!.id,
  };
}
