import { type Database, schema } from "../db";
import type { Principal } from "../services/auth/principal";
import type { ToolCall } from "./registry";

/** One agent_executions row per tool call: the raw material of agent-execution metrics. */
export function recordToolCall(db: Database, principal: Principal, call: ToolCall, args: unknown, surface: "execute" | "mcp") {
  return db.query.insert(schema.agentExecutions).values({
    tenantId: principal.tenantId,
    projectId: principal.projectId,
    actorType: principal.actor.type,
    actorId: principal.actor.id,
    kind: "tool_call",
    name: call.tool.slice(0, 100),
    status: call.outcome,
    durationMs: call.durationMs,
    errorCode: call.errorCode ?? null,
    input: { surface, arguments: args ?? null },
  });
}
