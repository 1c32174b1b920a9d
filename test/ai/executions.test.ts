import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { createAgentServiceClient } from "../../src/integrations/agent-service";
import { createLogger } from "../../src/lib/logger";
import { runTurn, type Turn, type TurnDeps } from "../../src/services/ai/orchestrate";
import { issueAgentToken } from "../../src/services/auth/agent-token";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { configureSandbox } from "../support/sandbox";
import { inboundText, postWaha } from "../support/waha";

const db = testDatabase();
const log = createLogger({ test: "ai-executions" }, "error");
type Actors = Awaited<ReturnType<typeof createActors>>;
const serviceUrl = () => inject("agentServiceUrl");
const rows = async (q: ReturnType<typeof sql>) => (await db.query.execute<any>(q)).rows;

async function setFault(executionId: string, fault: Record<string, unknown>) {
  const res = await fetch(`${serviceUrl()}/__agent-service/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ executionId, fault }),
  });
  await res.body?.cancel();
}

const deps = (): TurnDeps => ({
  db,
  log,
  agentService: createAgentServiceClient({ url: serviceUrl(), protocol: "grpc-web", token: inject("agentServiceToken") }),
  signingSecret: env.JWT_SECRET,
  relay: async () => {},
  publish: async () => {},
});

describe("agent executions: REST, metrics, tool-call linkage, actions", () => {
  let t: Actors;
  let other: Actors;
  let conv: { sessionId: string; contactId: string; channelId: string; messageId: string };
  const turn = (executionId = crypto.randomUUID()): Turn => ({
    executionId,
    tenantId: t.tenant.id,
    projectId: t.project.id,
    sessionId: conv.sessionId,
    contactId: conv.contactId,
    channelId: conv.channelId,
    messages: [{ messageId: conv.messageId, receivedAt: Date.now() }],
    quietWindowMs: 0,
  });

  beforeAll(async () => {
    [t, other] = await Promise.all([createActors(db), createActors(db)]);
    const channel = await t.channel();
    await configureSandbox({ name: channel.wahaSession });
    // Configured with a quiet window long enough that the room never runs these turns: the tests run them directly.
    await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys.admin, body: { enabled: true, quietWindowMs: 60_000 } });
    await postWaha(channel, "message", inboundText("5511988887777@c.us", "quero saber o preço"));
    const [m] = await rows(sql`select id, session_id, contact_id from messages where project_id = ${t.project.id} limit 1`);
    conv = { sessionId: m.session_id, contactId: m.contact_id, channelId: channel.id, messageId: m.id };
  });

  it("applies allowed actions through their MCP tools and ignores the others", async () => {
    const tr = turn();
    await setFault(tr.executionId, {
      kind: "actions",
      actions: [
        { actionType: "update_contact", entityType: "contact", entityId: conv.contactId, data: { name: "Maria Souza" } },
        { actionType: "add_tag", data: { tag_name: "lead-quente" } },
        { actionType: "update_contact", data: { email: "not-an-email" } },
        { actionType: "drop_database", data: {} },
      ],
    });
    expect(await runTurn(deps(), tr)).toMatchObject({ status: "succeeded" });
    const [row] = await rows(sql`select output from agent_executions where id = ${tr.executionId}`);
    expect(row.output.actions).toEqual([
      { actionType: "update_contact", tool: "update_contact", outcome: "ok" },
      { actionType: "add_tag", tool: "add_tag", outcome: "ok" },
      { actionType: "update_contact", tool: "update_contact", outcome: "error", errorCode: "invalid_request" },
      { actionType: "drop_database", tool: null, outcome: "ignored" },
    ]);
    const [contact] = await rows(sql`select name from contacts where id = ${conv.contactId}`);
    expect(contact.name).toBe("Maria Souza");
  });

  it("the execution's credential: tool calls are linked to it; another tenant's data is 404; expired is 401", async () => {
    const executionId = crypto.randomUUID();
    const key = await issueAgentToken(env.JWT_SECRET, { tenantId: t.tenant.id, projectId: t.project.id, executionId, timeoutSeconds: 30 });
    const res = await api("/v1/mcp/execute", { token: key, body: { tool_name: "get_contact", arguments: { contact_id: conv.contactId } } });
    expect(res.status).toBe(200);
    // Recorded after the response (waitUntil).
    let calls: any[] = [];
    for (let i = 0; i < 50 && calls.length === 0; i++) {
      calls = await rows(sql`select * from agent_executions where parent_execution_id = ${executionId}`);
      if (!calls.length) await new Promise((r) => setTimeout(r, 100));
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ kind: "tool_call", name: "get_contact", actor_type: "agent", actor_id: executionId });
    const foreign = await api("/v1/mcp/execute", {
      token: await issueAgentToken(env.JWT_SECRET, {
        tenantId: other.tenant.id,
        projectId: other.project.id,
        executionId,
        timeoutSeconds: 30,
      }),
      body: { tool_name: "get_contact", arguments: { contact_id: conv.contactId } },
    });
    expect(foreign.status).toBe(404);
    const expired = await issueAgentToken(env.JWT_SECRET, {
      tenantId: t.tenant.id,
      projectId: t.project.id,
      executionId,
      timeoutSeconds: 1,
      now: Date.now() - 10 * 60_000,
    });
    expectError(
      await api("/v1/mcp/execute", { token: expired, body: { tool_name: "get_contact", arguments: { contact_id: conv.contactId } } }),
      401,
      "unauthorized",
    );
    const forged = await issueAgentToken("another-secret-another-secret-0123456789", {
      tenantId: t.tenant.id,
      projectId: t.project.id,
      executionId,
      timeoutSeconds: 30,
    });
    expectError(await api("/v1/mcp/execute", { token: forged, body: { tool_name: "get_contact", arguments: {} } }), 401, "unauthorized");
    // An agent may not manage keys or members (role manager).
    expectError(await api("/api/v1/api-keys", { token: key }), 403, "forbidden");
  });

  it("lists, gets (with tool calls) and filters executions; another tenant sees none", async () => {
    const tr = turn();
    await runTurn(deps(), tr);
    const list = await api("/api/v1/agent-executions?limit=1", { token: t.keys.readonly });
    expect(list.status).toBe(200);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.nextCursor).toBeTruthy();
    const next = await api(`/api/v1/agent-executions?limit=1&cursor=${list.body.nextCursor}`, { token: t.keys.readonly });
    expect(next.body.data[0].id).not.toBe(list.body.data[0].id);
    const succeeded = await api("/api/v1/agent-executions?status=succeeded&agentType=CustomerService", { token: t.keys.user });
    expect(succeeded.body.data.map((e: any) => e.id)).toContain(tr.executionId);
    const one = await api(`/api/v1/agent-executions/${tr.executionId}`, { token: t.keys.user });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: tr.executionId, kind: "execution", status: "succeeded", replyMessageId: tr.executionId });
    expect(Array.isArray(one.body.toolCalls)).toBe(true);
    expectError(await api(`/api/v1/agent-executions/${tr.executionId}`, { token: other.keys.admin }), 404, "not_found");
    expect((await api("/api/v1/agent-executions", { token: other.keys.admin })).body.data).toEqual([]);
    expectError(await api("/api/v1/agent-executions?cursor=garbage", { token: t.keys.admin }), 400, "invalid_request");
    expectError(await api("/api/v1/agent-executions?kind=other", { token: t.keys.admin }), 400, "invalid_request");
    expectError(await api("/api/v1/agent-executions?status=done", { token: t.keys.admin }), 400, "invalid_request");
    // The table holds the same statuses: a row the metrics would not count cannot be written.
    const refused = (q: ReturnType<typeof sql>) =>
      db.query.execute(q).then(
        () => "written",
        (err) => String(err?.cause?.message ?? err?.message),
      );
    expect(await refused(sql`update agent_executions set status = 'done' where id = ${tr.executionId}`)).toMatch(
      /agent_executions_kind_status_check/,
    );
    expect(await refused(sql`update agent_executions set kind = 'tool_call' where id = ${tr.executionId}`)).toMatch(
      /agent_executions_kind_status_check/,
    );
  });

  it("metrics: p50/p95, success rate, tokens and cost by agent type and period", async () => {
    const failed = turn();
    await setFault(failed.executionId, { kind: "agent-error", code: "boom" });
    await runTurn(deps(), failed);
    const res = await api("/api/v1/agent-executions/metrics?period=day", { token: t.keys.readonly });
    expect(res.status).toBe(200);
    const [bucket] = res.body.data;
    expect(bucket.agentType).toBe("CustomerService");
    expect(bucket.executions).toBeGreaterThanOrEqual(3);
    expect(bucket.failed).toBeGreaterThanOrEqual(1);
    expect(bucket.successRate).toBeGreaterThan(0);
    expect(bucket.successRate).toBeLessThan(1);
    expect(bucket.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(bucket.latencyMs.p95).toBeGreaterThanOrEqual(bucket.latencyMs.p50);
    expect(typeof bucket.tokens).toBe("number");
    expect(typeof bucket.costUsd).toBe("number");
    expectError(await api("/api/v1/agent-executions/metrics?period=year", { token: t.keys.readonly }), 400, "invalid_request");
    expectError(
      await api("/api/v1/agent-executions/metrics?since=2026-02-01T00:00:00Z&until=2026-01-01T00:00:00Z", { token: t.keys.readonly }),
      400,
      "invalid_request",
    );
    expect((await api("/api/v1/agent-executions/metrics", { token: other.keys.readonly })).body.data).toEqual([]);
  });

  it("get_agent_stats counts AI agents: their executions and the replies they sent", async () => {
    const agent = await api("/api/v1/agents", { method: "POST", token: t.keys.admin, body: { kind: "ai", name: "CustomerService" } });
    expect(agent.status).toBe(201);
    const tr = turn();
    expect(await runTurn(deps(), tr)).toMatchObject({ status: "succeeded" });
    const [reply] = await rows(sql`select sent_by_agent_id from messages where id = ${tr.executionId}`);
    expect(reply.sent_by_agent_id).toBe(agent.body.id);
    const res = await api("/v1/mcp/execute", {
      token: t.keys.admin,
      body: { tool_name: "get_agent_stats", arguments: { agent_id: agent.body.id } },
    });
    expect(res.status).toBe(200);
    const [stats] = res.body.result.agents;
    expect(stats).toMatchObject({ kind: "ai", messages_sent: 1, ai_executions: 1, ai_succeeded: 1 });
  });
});
