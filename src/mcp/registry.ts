import { z } from "zod";
import { AppError, normalizeError } from "../lib/errors";
import type { Permission } from "../services/auth/permissions";
import { authorize } from "../services/auth/permissions";
import type { ServiceContext } from "../services/context";

export interface Tool<I extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  input: I;
  permission: Permission;
  /** True for tools that change data; agents and hosts use it to ask for confirmation. */
  mutates: boolean;
  handler: (svc: ServiceContext, args: z.infer<I>) => Promise<unknown>;
}

export const defineTool = <I extends z.ZodType>(tool: Tool<I>): Tool<I> => tool;

export function toolListing(tool: Tool) {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: z.toJSONSchema(tool.input, { io: "input", unrepresentable: "any" }) as Record<string, unknown> & { type: "object" },
    annotations: { readOnlyHint: !tool.mutates, destructiveHint: false, idempotentHint: !tool.mutates },
    permission: tool.permission,
  };
}

/** Validation that names the offending argument, in the shape both MCP surfaces return. */
export function parseArguments<I extends z.ZodType>(tool: Tool<I>, args: unknown): z.infer<I> {
  const result = tool.input.safeParse(args ?? {});
  if (!result.success) {
    throw new AppError(
      "invalid_request",
      `Invalid arguments for ${tool.name}: ${result.error.issues.map((i) => `${i.path.join(".") || "(arguments)"}: ${i.message}`).join("; ")}`,
      result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
    );
  }
  return result.data;
}

export interface ToolCall {
  tool: string;
  outcome: "ok" | "error";
  durationMs: number;
  errorCode?: string;
  result?: unknown;
  error?: AppError;
}

/** Permission, validation, the service call — the same path for /v1/mcp/execute and /mcp. */
export async function callTool(tools: Map<string, Tool>, svc: ServiceContext, name: string, args: unknown): Promise<ToolCall> {
  const started = Date.now();
  const tool = tools.get(name);
  try {
    if (!tool) throw new AppError("not_found", `Unknown tool '${name}'`, { resource: "Tool", tool: name });
    authorize(svc.principal, tool.permission);
    const result = await tool.handler(svc, parseArguments(tool, args));
    return { tool: name, outcome: "ok", durationMs: Date.now() - started, result };
  } catch (err) {
    const error = normalizeError(err);
    if (error.status >= 500) svc.log.error("tool failed", { tool: name, err });
    return { tool: name, outcome: "error", durationMs: Date.now() - started, errorCode: error.code, error };
  }
}
