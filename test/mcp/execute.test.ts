import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../support/api";
import { arrangeWorld, db, foreignCalls, MUTATING_TOOLS, toolCases, type World } from "./support";

const execute = (token: string, tool_name: string, args: Record<string, unknown> = {}) =>
  api("/v1/mcp/execute", { token, body: { tool_name, arguments: args } });

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
    expect(names).toHaveLength(30);
    for (const name of new Set(toolCases(w).map(([n]) => n))) expect(names).toContain(name);
    const getContact = res.body.tools.find((t: any) => t.name === "get_contact");
    expect(getContact.inputSchema).toMatchObject({
      type: "object",
      required: ["contact_id"],
      properties: { contact_id: { type: "string", format: "uuid" } },
    });
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
    const foreign = foreignCalls(w, b);
    for (const [name, args] of foreign) {
      const res = await execute(w.t.keys.admin, name, args);
      expect(res.status, `${name} ${JSON.stringify(res.body)}`).toBe(404);
    }
    const sessions = await execute(w.t.keys.admin, "get_sessions", { contact_id: b.contact.id });
    expect(sessions.body.result).toEqual({ sessions: [], next_cursor: null });
    expect((await api(`/api/v1/contacts/${b.contact.id}`, { token: b.t.keys.admin })).body.name).toBe("Mariana Lima");
  });

  it("refuses every mutation to a readonly key, and records each call", async () => {
    const mutations = MUTATING_TOOLS;
    for (const name of mutations) {
      const res = await execute(w.t.keys.readonly, name, { contact_id: w.contact.id });
      expect(res.status, name).toBe(403);
    }
    expect((await execute(w.t.keys.readonly, "get_contact", { contact_id: w.contact.id })).status).toBe(200);
    await expect
      .poll(
        async () =>
          (
            await db.query.execute<{ n: number }>(
              sql`select count(*)::int as n from agent_executions where tenant_id = ${w.t.tenant.id} and status = 'error'
                and error_code = 'forbidden'`,
            )
          ).rows[0]!.n,
        { timeout: 5000 },
      )
      .toBe(mutations.length);
    const [row] = (
      await db.query.execute<any>(
        sql`select * from agent_executions where tenant_id = ${w.t.tenant.id} and name = 'get_contact'
          and status = 'ok' order by created_at desc limit 1`,
      )
    ).rows;
    expect(row).toMatchObject({ kind: "tool_call", actor_type: "api_key" });
    expect(row.duration_ms).toBeGreaterThanOrEqual(0);
  });
});
