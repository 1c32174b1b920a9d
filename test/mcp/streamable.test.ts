import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { beforeAll, describe, expect, it } from "vitest";
import { arrangeWorld, foreignCalls, MUTATING_TOOLS, toolCases, type World } from "./support";

async function connect(token: string) {
  const client = new Client({ name: "ventros-test-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL("http://crm.test/mcp"), {
    fetch: (url, init) => exports.default.fetch(url, init),
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  return client;
}

const raw = (body: unknown, headers: Record<string, string> = {}, method = "POST") =>
  exports.default.fetch("http://crm.test/mcp", {
    method,
    headers: { "content-type": "application/json", accept: "application/json, text/event-stream", ...headers },
    body: method === "POST" ? JSON.stringify(body) : undefined,
  });

describe("standard MCP at /mcp (official SDK client)", () => {
  let w: World;
  let b: World;
  beforeAll(async () => {
    [w, b] = await Promise.all([arrangeWorld(), arrangeWorld()]);
  });

  it("initializes, lists the tools and calls every one of them", async () => {
    const client = await connect(w.t.keys.admin);
    expect(client.getServerVersion()?.name).toBe("ventros-crm");
    const { tools } = await client.listTools();
    expect(tools).toHaveLength(30);
    expect(tools.find((t) => t.name === "send_message")?.annotations?.readOnlyHint).toBe(false);
    for (const [name, args, check] of toolCases(w)) {
      const result = await client.callTool({ name, arguments: args });
      expect(result.isError, `${name}: ${JSON.stringify(result.content)}`).toBeFalsy();
      check(JSON.parse((result.content as { text: string }[])[0]!.text));
    }
    await client.ping();
    await client.close();
  });

  it("returns tool failures as isError results naming the field, the tenant boundary and the role", async () => {
    const client = await connect(w.t.keys.readonly);
    const bad = await client.callTool({ name: "get_contact", arguments: { contact_id: 42 } });
    expect(bad.isError).toBe(true);
    expect(JSON.parse((bad.content as { text: string }[])[0]!.text).error).toMatchObject({
      code: "invalid_request",
      details: [{ path: "contact_id" }],
    });
    const foreign = await client.callTool({ name: "get_contact", arguments: { contact_id: b.contact.id } });
    expect(JSON.parse((foreign.content as { text: string }[])[0]!.text).error.code).toBe("not_found");
    const mutation = await client.callTool({ name: "create_note", arguments: { contact_id: w.contact.id, body: "x" } });
    expect(mutation.isError).toBe(true);
    expect(JSON.parse((mutation.content as { text: string }[])[0]!.text).error.code).toBe("forbidden");
    const unknown = await client.callTool({ name: "no_such_tool", arguments: {} });
    expect(unknown.isError).toBe(true);
    await client.close();
  });

  it("keeps every tool inside the tenant and every mutation away from readonly keys", async () => {
    const admin = await connect(w.t.keys.admin);
    for (const [name, args] of foreignCalls(w, b)) {
      const result = await admin.callTool({ name, arguments: args });
      expect(result.isError, name).toBe(true);
      expect(JSON.parse((result.content as { text: string }[])[0]!.text).error.code, name).toBe("not_found");
    }
    await admin.close();
    const readonly = await connect(w.t.keys.readonly);
    for (const name of MUTATING_TOOLS) {
      const result = await readonly.callTool({ name, arguments: { contact_id: w.contact.id } });
      expect(JSON.parse((result.content as { text: string }[])[0]!.text).error.code, name).toBe("forbidden");
    }
    await readonly.close();
  });

  it("speaks the transport rules: auth, Origin, protocol version, notifications, GET", async () => {
    const init = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "0" } },
    };
    expect((await raw(init)).status).toBe(401);
    const auth = { Authorization: `Bearer ${w.t.keys.readonly}` };
    const forbidden = await raw(init, { ...auth, Origin: "https://evil.example" });
    expect(forbidden.status).toBe(403);
    await forbidden.body?.cancel();
    const ok = await raw(init, auth);
    expect(ok.status).toBe(200);
    expect(ok.headers.get("mcp-session-id")).toBeNull();
    const body = (await ok.json()) as any;
    expect(body.result.protocolVersion).toBe("2025-03-26");
    const note = await raw({ jsonrpc: "2.0", method: "notifications/initialized" }, { ...auth, "MCP-Protocol-Version": "2025-03-26" });
    expect(note.status).toBe(202);
    await note.body?.cancel();
    const badVersion = await raw({ jsonrpc: "2.0", id: 2, method: "tools/list" }, { ...auth, "MCP-Protocol-Version": "1999-01-01" });
    expect(badVersion.status).toBe(400);
    await badVersion.body?.cancel();
    const unknownMethod = (await (await raw({ jsonrpc: "2.0", id: 3, method: "nope/nope" }, auth)).json()) as any;
    expect(unknownMethod.error.code).toBe(-32601);
    const get = await raw(null, auth, "GET");
    expect(get.status).toBe(405);
    await get.body?.cancel();
  });
});
