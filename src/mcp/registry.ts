import { AppError, normalizeError } from "../lib/errors";
import { authorize, type Permission } from "../services/auth/permissions";
import type { ServiceContext } from "../services/context";
import { type AnyVerb, callVerb, isMutation, parseVerbInput } from "../services/verbs/define";
import { type SnakeView, snakeView } from "./snake-view";

/**
 * How a tool presents its verb's result to agents (the design document's agents read `result["messages"]`):
 * `{ wrap: "contact" }` → `{ contact: … }`; `{ list: "messages" }` turns `{ data, nextCursor }` into
 * `{ messages, next_cursor }` (an unpaginated list has no cursor).
 */
export type ResultShape = { wrap: string } | { list: string };

export interface ToolSpec {
  name: string;
  /** Written for the model choosing a tool; the verb's summary is the default. */
  description?: string;
  verb: AnyVerb;
  /** Argument names that differ from the snake_case field name: `{ q: "query" }`. */
  aliases?: Record<string, string>;
  result?: ResultShape;
}

export interface Tool {
  name: string;
  description: string;
  verb: AnyVerb;
  permission: Permission;
  /** True for tools that change data; agents and hosts use it to ask for confirmation. */
  mutates: boolean;
  view: SnakeView;
  result?: ResultShape;
}

export const defineTool = (spec: ToolSpec): Tool => ({
  name: spec.name,
  description: spec.description ?? spec.verb.summary,
  verb: spec.verb,
  permission: spec.verb.permission,
  mutates: isMutation(spec.verb),
  view: snakeView(spec.verb.input, spec.verb.output, spec.aliases),
  result: spec.result,
});

export function toolListing(tool: Tool) {
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: tool.view.inputSchema,
    annotations: { readOnlyHint: !tool.mutates, destructiveHint: false, idempotentHint: !tool.mutates },
    permission: tool.permission,
  };
}

/** Validation through the verb's own schema, with the failing fields named as the agent named them. */
export function parseArguments(tool: Tool, args: unknown) {
  try {
    return parseVerbInput(tool.verb, tool.view.toInput(args ?? {}));
  } catch (err) {
    if (!(err instanceof AppError) || !Array.isArray(err.details)) throw err;
    const details = err.details.map((d) => ({ ...d, path: tool.view.toArgPath(d.path ?? "") }));
    throw new AppError(
      "invalid_request",
      `Invalid arguments for ${tool.name}: ${details.map((d) => `${d.path || "(arguments)"}: ${d.message}`).join("; ")}`,
      details,
    );
  }
}

function present(tool: Tool, output: unknown): unknown {
  const snake = tool.view.toResult(output);
  if (!tool.result) return snake ?? { ok: true };
  if ("wrap" in tool.result) return { [tool.result.wrap]: snake };
  const { data, ...rest } = snake as { data: unknown[]; next_cursor?: string | null };
  return { [tool.result.list]: data, ...rest };
}

export interface ToolCall {
  tool: string;
  outcome: "ok" | "error";
  durationMs: number;
  errorCode?: string;
  result?: unknown;
  error?: AppError;
}

/** Permission (before looking at the arguments, as REST does), validation, the verb — for both MCP surfaces. */
export async function callTool(tools: Map<string, Tool>, svc: ServiceContext, name: string, args: unknown): Promise<ToolCall> {
  const started = Date.now();
  const tool = tools.get(name);
  try {
    if (!tool) throw new AppError("not_found", `Unknown tool '${name}'`, { resource: "Tool", tool: name });
    authorize(svc.principal, tool.permission);
    const input = parseArguments(tool, args);
    const output = await callVerb(tool.verb, svc, input, { validated: true });
    return { tool: name, outcome: "ok", durationMs: Date.now() - started, result: present(tool, output) };
  } catch (err) {
    const error = normalizeError(err);
    if (error.status >= 500) svc.log.error("tool failed", { tool: name, err });
    return { tool: name, outcome: "error", durationMs: Date.now() - started, errorCode: error.code, error };
  }
}
