/**
 * Test-only behaviour of the reference agent service, set per execution id through `POST /__agent-service/faults`
 * before the execution is requested (keyed by id, so concurrent tests never meet each other's faults):
 *  - `hang`: the execution does nothing until CancelExecution stops it, ignoring its own timeout — a stuck agent,
 *    so only the caller's deadline and its cancel can end it;
 *  - `delay`: waits `ms` before the chain; its own timeout and CancelExecution still apply;
 *  - `rpc-error`: the RPC fails with this Connect code (after the `started` event when streaming);
 *  - `agent-error`: the execution ends normally with status "error" and this code and message;
 *  - `actions`: the chain runs as usual and the response carries these actions.
 */
export type AgentFault =
  | { kind: "hang" }
  | { kind: "delay"; ms: number }
  | { kind: "rpc-error"; code: string; message?: string }
  | { kind: "agent-error"; code: string; message?: string }
  | { kind: "actions"; actions: FaultAction[] };

export interface FaultAction {
  actionType: string;
  entityType?: string;
  entityId?: string;
  data?: Record<string, string>;
}

const KINDS = new Set(["hang", "delay", "rpc-error", "agent-error", "actions"]);

/** The fault in a control request, or a message saying what is wrong with it. */
export function parseFault(value: unknown): AgentFault | string {
  const fault = value as Record<string, unknown> | null;
  if (!fault || typeof fault !== "object" || !KINDS.has(fault.kind as string)) return `fault.kind must be one of ${[...KINDS].join(", ")}`;
  if (fault.kind === "delay" && !(typeof fault.ms === "number" && fault.ms >= 0)) return "a delay fault needs ms >= 0";
  if ((fault.kind === "rpc-error" || fault.kind === "agent-error") && typeof fault.code !== "string") return `${fault.kind} needs a code`;
  if (fault.kind === "actions" && !Array.isArray(fault.actions)) return "an actions fault needs actions: []";
  return fault as unknown as AgentFault;
}
