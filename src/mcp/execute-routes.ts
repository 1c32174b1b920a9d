import { createRoute, z } from "@hono/zod-openapi";
import { afterResponse } from "../http/after-response";
import { requireAuth } from "../http/middleware/auth";
import { errors, json, jsonBody, security } from "../http/openapi";
import { createRouter } from "../http/router";
import { recordToolCall } from "./record";
import { callTool, toolListing } from "./registry";
import { toolRegistry, tools } from "./tools";

/** The body is bounded before it is parsed (MCP_BODY_LIMIT_BYTES, JSON depth; see http/middleware/body-guard.ts). */
const ExecuteBody = z.object({
  tool_name: z.string().min(1).max(100),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

const list = createRoute({
  method: "get",
  path: "/v1/mcp/tools",
  tags: ["MCP"],
  security,
  middleware: [requireAuth],
  summary: "The tools AI agents can call, with JSON Schemas of their arguments",
  responses: {
    200: json(z.object({ tools: z.array(z.looseObject({ name: z.string(), description: z.string() })) }), "Tools"),
    ...errors(401),
  },
});

const execute = createRoute({
  method: "post",
  path: "/v1/mcp/execute",
  tags: ["MCP"],
  security,
  middleware: [requireAuth],
  summary: "Call one tool: { tool_name, arguments } → { tool_name, result }",
  request: { body: jsonBody(ExecuteBody) },
  responses: {
    200: json(z.object({ tool_name: z.string(), result: z.unknown() }), "The tool's result"),
    ...errors(400, 401, 403, 404, 409, 413, 422),
  },
});

/** The simple HTTP surface of the design document; /mcp serves the same registry over the standard protocol. */
export const mcpExecuteRoutes = createRouter()
  .openapi(list, (c) => c.json({ tools: tools.map(toolListing) }, 200))
  .openapi(execute, async (c) => {
    const { tool_name, arguments: args } = c.req.valid("json");
    const call = await callTool(toolRegistry, c.var.svc, tool_name, args);
    afterResponse(c.executionCtx, () => recordToolCall(c.var.db, c.var.principal, call, args, "execute").catch(() => {}));
    if (call.error) throw call.error;
    return c.json({ tool_name, result: call.result }, 200);
  });
