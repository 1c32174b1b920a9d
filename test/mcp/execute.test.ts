import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../support/api";
import { arrangeWorld, db, type World } from "./support";

const execute = (token: string, tool_name: string, args: Record<string, unknown> = {}) =>
  api("/v1/mcp/execute", { token, body: { tool_name, arguments: args } });

/** Every tool: a call that must succeed, with what its result must show. */
export function toolCases(w: World): [string, Record<string, unknown>, (result: any) => void][] {
  const stage = w.pipeline.stages;
  return [
    ["get_contacts", { query: "Mariana" }, (r) => expect(r.data.map((c: any) => c.id)).toEqual([w.contact.id])],
    ["get_contact", { contact_id: w.contact.id }, (r) => expect(r.tags.map((t: any) => t.name)).toEqual(["VIP"])],
    ["get_contact_lists", {}, (r) => expect(r.data.map((l: any) => l.name)).toEqual(["Campanha"])],
    ["get_list_contacts", { list_id: w.list.id }, (r) => expect(r.data.map((c: any) => c.id)).toEqual([w.contact.id])],
    ["get_pipelines", {}, (r) => expect(r.pipelines[0].stages.map((s: any) => s.name)).toEqual(["Novo", "Qualificado", "Ganho"])],
    ["get_channels", {}, (r) => expect(r.channels.map((c: any) => c.id)).toEqual([w.channel.id])],
    ["get_agents", { kind: "ai" }, (r) => expect(r.data.map((a: any) => a.name)).toEqual(["Atendente IA"])],
    ["get_sessions", { contact_id: w.contact.id }, (r) => expect(r.data.map((s: any) => s.id)).toEqual([w.sessionId])],
    ["get_messages", { session_id: w.sessionId, order: "asc", limit: 50 }, (r) => expect(r.data.map((m: any) => m.direction)).toEqual(["inbound", "inbound", "inbound", "outbound", "inbound"])],
    ["get_contact_events", { contact_id: w.contact.id }, (r) => expect(r.data.map((e: any) => e.type)).toContain("tag.added")],
    ["list_message_groups", { session_id: w.sessionId, window_seconds: 60 }, (r) => {
      expect(r.groups.map((g: any) => g.messageCount)).toEqual([3, 1]);
      expect(r.groups[0]).toMatchObject({ groupId: w.firstMessageId, contentTypes: ["text", "image"], text: "Oi\nqueria saber o preço" });
    }],
    ["get_message_group", { group_id: w.firstMessageId, window_seconds: 60 }, (r) => {
      expect(r.messages).toHaveLength(3);
      expect(r.messages[2].media).toEqual({ url: "http://waha.local/files/p.jpg", mimetype: "image/jpeg", filename: null, pending: false });
    }],
    ["get_leads_count", { group_by: "stage" }, (r) => expect(r.buckets).toEqual([{ key: stage[0].id, label: "Novo", pipeline: "Vendas", count: 1 }])],
    ["get_leads_count", { group_by: "tag" }, (r) => expect(r.buckets.map((b: any) => [b.label, b.count])).toEqual([["VIP", 1]])],
    ["get_leads_count", { group_by: "period", period: "day" }, (r) => expect(r.total).toBe(2)],
    ["get_agent_stats", { agent_id: w.agent.id }, (r) => expect(r.agents[0]).toMatchObject({ agent_id: w.agent.id, messages_sent: 1 })],
    ["get_top_agent", { metric: "messages_sent" }, (r) => expect(r.top.agent_id).toBe(w.agent.id)],
    ["analyze_agent_messages", { agent_id: w.agent.id }, (r) => {
      expect(r).toMatchObject({ total: 1, sessions: 1, by_content_type: { text: 1 } });
      expect(r.avg_reply_seconds).toBeGreaterThan(0);
    }],
    ["compare_agents", { agent_ids: [w.agent.id, w.human.id] }, (r) => expect(r.agents.map((a: any) => a.messages_sent)).toEqual([1, 0])],
    ["update_contact", { contact_id: w.contact.id, custom_fields: { budget: 5000 } }, (r) => expect(r.customFields).toEqual({ budget: 5000 })],
    ["update_pipeline_stage", { contact_id: w.contact.id, stage_id: stage[1].id, reason: "interested" }, (r) => expect(r).toMatchObject({ changed: true, stageId: stage[1].id })],
    ["assign_to_agent", { contact_id: w.contact.id, agent_id: w.agent.id, session_id: w.sessionId }, (r) => expect(r.assignedAgentId).toBe(w.agent.id)],
    ["qualify_lead", { contact_id: w.contact.id, qualification: "hot", score: 90, reason: "asked for price" }, (r) => expect(r).toMatchObject({ qualification: "hot", score: 90 })],
    ["create_note", { contact_id: w.contact.id, body: "Cliente quer desconto" }, (r) => expect(r.body).toBe("Cliente quer desconto")],
    ["add_tag", { contact_id: w.contact.id, tag_name: "Quente" }, (r) => expect(r.name).toBe("Quente")],
    ["add_to_list", { list_id: w.list.id, contact_ids: [w.other.id] }, (r) => expect(r).toEqual({ added: 1, alreadyMembers: 0 })],
    ["send_message", { contact_id: w.contact.id, text: "Posso ajudar em algo mais?", agent_id: w.agent.id }, (r) => expect(r).toMatchObject({ status: "queued", sentByAgentId: w.agent.id })],
  ];
}

describe("POST /v1/mcp/execute and GET /v1/mcp/tools", () => {
  let w: World;
  let b: World;
  beforeAll(async () => {
    [w, b] = await Promise.all([arrangeWorld(), arrangeWorld()]);
  });

  it("lists every tool with a JSON Schema, and needs a key", async () => {
    expect((await api("/v1/mcp/tools")).status).toBe(401);
    const res = await api("/v1/mcp/tools", { token: w.t.keys.readonly });
    expect(res.status).toBe(200);
    const names = res.body.tools.map((t: any) => t.name);
    expect(names).toHaveLength(25);
    for (const name of new Set(toolCases(w).map(([n]) => n))) expect(names).toContain(name);
    const getContact = res.body.tools.find((t: any) => t.name === "get_contact");
    expect(getContact.inputSchema).toMatchObject({ type: "object", required: ["contact_id"], properties: { contact_id: { type: "string", format: "uuid" } } });
  });

  it("runs every tool against the services and returns its result", async () => {
    for (const [name, args, check] of toolCases(w)) {
      const res = await execute(w.t.keys.admin, name, args);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(res.body.tool_name).toBe(name);
      check(res.body.result);
    }
    const contact = (await api(`/api/v1/contacts/${w.contact.id}`, { token: w.t.keys.admin })).body;
    expect(contact.customFields).toMatchObject({ budget: 5000, lead_qualification: "hot", lead_score: 90 });
    expect(contact.tags.map((t: any) => t.name).sort()).toEqual(["Quente", "VIP"]);
  });

  it("names the bad argument, and refuses unknown tools", async () => {
    const bad = await execute(w.t.keys.admin, "get_contact", { contact_id: "not-a-uuid" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toBe("contact_id");
    const missing = await execute(w.t.keys.admin, "send_message", { contact_id: w.contact.id });
    expect(missing.body.error.details[0].path).toBe("text");
    expect((await execute(w.t.keys.admin, "drop_database")).status).toBe(404);
    expect((await api("/v1/mcp/execute", { token: w.t.keys.admin, body: { arguments: {} } })).status).toBe(400);
  });

  it("never reaches another tenant's data", async () => {
    const foreign: [string, Record<string, unknown>][] = [
      ["get_contact", { contact_id: b.contact.id }],
      ["get_list_contacts", { list_id: b.list.id }],
      ["get_messages", { session_id: b.sessionId }],
      ["get_contact_events", { contact_id: b.contact.id }],
      ["list_message_groups", { session_id: b.sessionId }],
      ["get_message_group", { group_id: b.firstMessageId }],
      ["get_agent_stats", { agent_id: b.agent.id }],
      ["analyze_agent_messages", { agent_id: b.agent.id }],
      ["compare_agents", { agent_ids: [b.agent.id, b.human.id] }],
      ["update_contact", { contact_id: b.contact.id, name: "pwned" }],
      ["update_pipeline_stage", { contact_id: w.contact.id, stage_id: b.pipeline.stages[0].id }],
      ["assign_to_agent", { contact_id: b.contact.id, agent_id: null }],
      ["qualify_lead", { contact_id: b.contact.id, qualification: "cold" }],
      ["create_note", { contact_id: b.contact.id, body: "x" }],
      ["add_tag", { contact_id: b.contact.id, tag_name: "x" }],
      ["add_to_list", { list_id: b.list.id, contact_ids: [w.contact.id] }],
      ["send_message", { contact_id: b.contact.id, text: "x" }],
    ];
    for (const [name, args] of foreign) {
      const res = await execute(w.t.keys.admin, name, args);
      expect(res.status, `${name} ${JSON.stringify(res.body)}`).toBe(404);
    }
    const sessions = await execute(w.t.keys.admin, "get_sessions", { contact_id: b.contact.id });
    expect(sessions.body.result.data).toEqual([]);
    expect((await api(`/api/v1/contacts/${b.contact.id}`, { token: b.t.keys.admin })).body.name).toBe("Mariana Lima");
  });

  it("refuses every mutation to a readonly key, and records each call", async () => {
    const mutations = ["update_contact", "update_pipeline_stage", "assign_to_agent", "qualify_lead", "create_note", "add_tag", "add_to_list", "send_message"];
    for (const name of mutations) {
      const res = await execute(w.t.keys.readonly, name, { contact_id: w.contact.id });
      expect(res.status, name).toBe(403);
    }
    expect((await execute(w.t.keys.readonly, "get_contact", { contact_id: w.contact.id })).status).toBe(200);
    await expect
      .poll(async () => (await db.query.execute<{ n: number }>(sql`select count(*)::int as n from agent_executions where tenant_id = ${w.t.tenant.id} and status = 'error' and error_code = 'forbidden'`)).rows[0]!.n, { timeout: 5000 })
      .toBe(mutations.length);
    const [row] = (await db.query.execute<any>(sql`select * from agent_executions where tenant_id = ${w.t.tenant.id} and name = 'get_contact' and status = 'ok' order by created_at desc limit 1`)).rows;
    expect(row).toMatchObject({ kind: "tool_call", actor_type: "api_key" });
    expect(row.duration_ms).toBeGreaterThanOrEqual(0);
  });
});
