import { exports } from "cloudflare:workers";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../support/api";
import { createActors } from "../support/fixtures";
import { db } from "./support";

/**
 * For every tool in the registry: arguments that break its schema must be refused with the offending field
 * named — through /v1/mcp/execute (400 + details) and through /mcp (isError result with the same details).
 */
describe("every tool names the invalid argument, on both surfaces", () => {
  let token: string;
  let tools: { name: string; inputSchema: { required?: string[]; properties?: Record<string, any> } }[];
  let client: Client;
  beforeAll(async () => {
    token = (await createActors(db)).keys.admin;
    tools = (await api("/v1/mcp/tools", { token })).body.tools;
    client = new Client({ name: "invalid-args", version: "1" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL("http://crm.test/mcp"), {
        fetch: (url, init) => exports.default.fetch(url, init),
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
  });

  /** A violation of the tool's own schema, and the field it must be blamed on. */
  function violation(tool: (typeof tools)[number]): [Record<string, unknown>, string] | undefined {
    const props = tool.inputSchema.properties ?? {};
    const required = tool.inputSchema.required ?? [];
    if (required.length) return [{}, required[0]!];
    if (props.limit) return [{ limit: 0 }, "limit"];
    const enumProp = Object.entries(props).find(([, p]) => Array.isArray(p.enum));
    if (enumProp) return [{ [enumProp[0]]: "not-a-choice" }, enumProp[0]];
    const uuidProp = Object.entries(props).find(([, p]) => p.format === "uuid");
    if (uuidProp) return [{ [uuidProp[0]]: "not-a-uuid" }, uuidProp[0]];
    return undefined;
  }

  it("refuses bad arguments for each tool", async () => {
    let checked = 0;
    for (const tool of tools) {
      const bad = violation(tool);
      if (!bad) continue; // tools without arguments (get_pipelines, get_channels)
      const [args, field] = bad;
      const res = await api("/v1/mcp/execute", { token, body: { tool_name: tool.name, arguments: args } });
      expect(res.status, `${tool.name} ${JSON.stringify(res.body)}`).toBe(400);
      expect(
        res.body.error.details.map((d: any) => d.path),
        tool.name,
      ).toContain(field);
      const viaMcp = await client.callTool({ name: tool.name, arguments: args });
      expect(viaMcp.isError, tool.name).toBe(true);
      const error = JSON.parse((viaMcp.content as { text: string }[])[0]!.text).error;
      expect(error.code).toBe("invalid_request");
      expect(error.details.map((d: any) => d.path)).toContain(field);
      checked++;
    }
    expect(checked).toBe(tools.length - 2);
  });
});
