import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { CallToolRequestSchema, ListToolsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { Hono } from "hono";
import { afterResponse } from "../http/after-response";
import type { AppEnv } from "../http/context";
import { requireAuth } from "../http/middleware/auth";
import { AppError } from "../lib/errors";
import { recordToolCall } from "./record";
import { callTool, toolListing } from "./registry";
import { toolRegistry, tools } from "./tools";

/**
 * What either MCP surface reads of a request body. The app's body guard enforces it (with the JSON depth limit)
 * before anything parses the body; the transport is given the same bound so it never reads more on its own.
 */
export const MCP_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Standard MCP (Streamable HTTP) at /mcp, stateless as Workers want it: a new server and transport per request,
 * no session id, JSON responses. The official SDK handles the protocol (initialize, tools/list, tools/call, ping,
 * MCP-Protocol-Version); tool failures come back as results with `isError`, protocol failures as JSON-RPC errors.
 */
export const mcpStreamableRoutes = new Hono<AppEnv>()
  .use("/mcp", async (c, next) => {
    // DNS-rebinding protection: a browser page on a foreign origin must not drive the tools with a user's token.
    const origin = c.req.header("origin");
    if (origin && !allowedOrigin(origin, c.var.config.MCP_ALLOWED_ORIGINS)) {
      throw new AppError("forbidden", `Origin ${origin} is not allowed to use /mcp`);
    }
    await next();
  })
  .use("/mcp", requireAuth)
  .all("/mcp", async (c) => {
    if (c.req.method !== "POST") {
      // Stateless server: there is no server-initiated stream to open with GET, nor a session to DELETE.
      return c.json(
        { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed: this server is stateless; use POST" }, id: null },
        405,
        { Allow: "POST" },
      );
    }
    const server = new Server({ name: "ventros-crm", version: c.var.config.BUILD_VERSION }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({
      tools: tools.map((t) => {
        const { permission: _permission, ...listing } = toolListing(t);
        return listing;
      }),
    }));
    server.setRequestHandler(CallToolRequestSchema, async (request) => {
      const { name, arguments: args } = request.params;
      const call = await callTool(toolRegistry, c.var.svc, name, args);
      afterResponse(c.executionCtx, () => recordToolCall(c.var.db, c.var.principal, call, args, "mcp").catch(() => {}));
      if (call.error) {
        const error = {
          code: call.error.code,
          message: call.error.message,
          ...(call.error.details ? { details: call.error.details } : {}),
        };
        return { isError: true, content: [{ type: "text" as const, text: JSON.stringify({ error }) }] };
      }
      const structured =
        call.result && typeof call.result === "object" && !Array.isArray(call.result)
          ? (call.result as Record<string, unknown>)
          : { result: call.result };
      return { content: [{ type: "text" as const, text: JSON.stringify(call.result) }], structuredContent: structured };
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: MCP_BODY_LIMIT_BYTES,
    });
    await server.connect(transport);
    return transport.handleRequest(c.req.raw);
  });

/** Only configured origins: the request's own Host is chosen by the caller, so it proves nothing (DNS rebinding). */
function allowedOrigin(origin: string, configured?: string) {
  return (configured ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean)
    .includes(origin);
}
