/**
 * The agent's side of the CRM's MCP surface, as the integration guide's Python client calls it:
 * `POST {crm}/v1/mcp/execute` with `{tool_name, arguments}` and the execution's API key → `{tool_name, result}`,
 * or `{error: {code, message}}`.
 */
export interface McpTarget {
  /** The CRM's base URL (the `x-ventros-mcp-url` call header). */
  url: string;
  /** The API key for this execution (the `x-ventros-mcp-key` call header); never logged or returned. */
  key: string;
}

export type ToolOutcome = { ok: true; result: any; ms: number } | { ok: false; code: string; message: string; ms: number };

const TOOL_TIMEOUT_MS = 10_000;

export async function callTool(target: McpTarget, tool: string, args: Record<string, unknown>, signal: AbortSignal): Promise<ToolOutcome> {
  const started = Date.now();
  const ms = () => Date.now() - started;
  let res: Response;
  let body: any;
  try {
    res = await fetch(`${target.url.replace(/\/+$/, "")}/v1/mcp/execute`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${target.key}` },
      body: JSON.stringify({ tool_name: tool, arguments: args }),
      signal: AbortSignal.any([signal, AbortSignal.timeout(TOOL_TIMEOUT_MS)]),
    });
    body = await res.json().catch(() => undefined);
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    return { ok: false, code: "unavailable", message: `the CRM did not answer ${tool}: ${(err as Error).message}`, ms: ms() };
  }
  if (res.ok && body && "result" in body) return { ok: true, result: body.result, ms: ms() };
  const code = typeof body?.error?.code === "string" ? body.error.code : `http_${res.status}`;
  const message = typeof body?.error?.message === "string" ? body.error.message : `HTTP ${res.status}`;
  return { ok: false, code, message, ms: ms() };
}
