import { Code, ConnectError } from "@connectrpc/connect";
import { AppError, type ErrorCode } from "../../lib/errors";
import type { AgentServiceProtocol } from "./config";

/**
 * Why a call to the agent service failed, in `details.reason` of the AppError it becomes:
 *  - `timeout`: no result within the deadline (CancelExecution was sent);
 *  - `cancelled`: the caller aborted (CancelExecution was sent);
 *  - `unavailable`: the service could not be reached or failed on its side — worth trying later (503);
 *  - `rejected`: the service refused the request (a wrong token, an unknown agent type…) or answered something
 *    unusable — retrying will not help until someone fixes the configuration (502);
 *  - `already_exists`: the execution id was already used; ask for its status instead of executing again (409).
 */
export type AgentFailureReason = "timeout" | "cancelled" | "unavailable" | "rejected" | "already_exists";

export interface AgentCall {
  rpc: "ExecuteAgent" | "ExecuteAgentStream" | "GetExecutionStatus" | "CancelExecution";
  protocol: AgentServiceProtocol;
  executionId: string;
}

const RETRY_LATER = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Internal, Code.Unknown]);

/** Codes worth a second attempt of an idempotent call (status, cancel); never used for executions. */
export const isTransient = (err: unknown) => RETRY_LATER.has(ConnectError.from(err).code);

/** A failed RPC as the app's error. The service's own message is kept (it says what went wrong) minus any secret. */
export function agentCallFailed(err: unknown, call: AgentCall, secrets: (string | undefined)[]): AppError {
  if (err instanceof AppError) return err;
  const cause = ConnectError.from(err);
  const [code, reason, hint]: [ErrorCode, AgentFailureReason, string] =
    cause.code === Code.Unauthenticated || cause.code === Code.PermissionDenied
      ? ["bad_gateway", "rejected", " (check AGENT_SERVICE_TOKEN)"]
      : cause.code === Code.AlreadyExists
        ? ["conflict", "already_exists", ""]
        : cause.code === Code.Canceled
          ? ["unavailable", "cancelled", ""]
          : RETRY_LATER.has(cause.code)
            ? ["unavailable", "unavailable", ""]
            : ["bad_gateway", "rejected", ""];
  const said = redact(cause.rawMessage, secrets);
  return failure(code, `agent service ${call.rpc} failed (${codeName(cause.code)}${hint}): ${said}`, call, reason, {
    grpcCode: codeName(cause.code),
  });
}

export function agentCallStopped(call: AgentCall, reason: "timeout" | "cancelled", deadlineMs: number, cancelSent: boolean): AppError {
  const what = reason === "timeout" ? `no result within ${deadlineMs} ms` : "the caller cancelled it";
  return failure("unavailable", `agent execution ${call.executionId} stopped: ${what}`, call, reason, { cancelSent });
}

export function agentAnswerUnusable(call: AgentCall, problem: string): AppError {
  return failure("bad_gateway", `agent service ${call.rpc}: ${problem}`, call, "rejected");
}

const failure = (code: ErrorCode, message: string, call: AgentCall, reason: AgentFailureReason, extra: Record<string, unknown> = {}) =>
  new AppError(code, message, { service: "agent", ...call, reason, ...extra });

/** Code.InvalidArgument → "invalid_argument". */
const codeName = (code: Code) => (Code[code] ?? "unknown").replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();

function redact(message: string, secrets: (string | undefined)[]): string {
  let out = message;
  for (const secret of secrets) if (secret) out = out.split(secret).join("***");
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}
