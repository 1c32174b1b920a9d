import { type Database, schema } from "../db";
import type { TOOL_CALL_OUTCOMES } from "../db/schema/platform";
import type { Principal } from "../services/auth/principal";
import type { ToolCall } from "./registry";

/** Arguments are recorded for metrics and debugging, not archived: larger ones keep a preview of this many characters. */
export const MAX_RECORDED_ARGUMENTS_CHARS = 4096;

/** One agent_executions row per tool call: the raw material of agent-execution metrics. */
export function recordToolCall(db: Database, principal: Principal, call: ToolCall, args: unknown, surface: "execute" | "mcp") {
  return db.query.insert(schema.agentExecutions).values({
    tenantId: principal.tenantId,
    projectId: principal.projectId,
    actorType: principal.actor.type,
    actorId: principal.actor.id,
    // An AI agent's execution token: the call belongs to that execution.
    parentExecutionId: principal.actor.type === "agent" ? principal.actor.id : null,
    kind: "tool_call",
    name: truncate(call.tool, 100),
    status: call.outcome satisfies (typeof TOOL_CALL_OUTCOMES)[number],
    durationMs: call.durationMs,
    errorCode: call.errorCode ?? null,
    input: { surface, arguments: boundedArguments(args) },
  });
}

/**
 * The arguments as they are stored: unchanged when their JSON is at most MAX_RECORDED_ARGUMENTS_CHARS, else a
 * marker with the original size and a preview — a caller cannot make every call store megabytes.
 */
export function boundedArguments(args: unknown): unknown {
  if (args === undefined || args === null) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(args);
  } catch {
    return { truncated: true, reason: "not serializable as JSON" };
  }
  if (text === undefined) return null;
  if (text.length <= MAX_RECORDED_ARGUMENTS_CHARS) return args;
  return { truncated: true, originalChars: text.length, preview: truncate(text, MAX_RECORDED_ARGUMENTS_CHARS) };
}

/** At most `max` UTF-16 units, never ending in half a surrogate pair (Postgres refuses an unpaired one). */
function truncate(text: string, max: number) {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const last = cut.charCodeAt(cut.length - 1);
  return last >= 0xd800 && last <= 0xdbff ? cut.slice(0, -1) : cut;
}
