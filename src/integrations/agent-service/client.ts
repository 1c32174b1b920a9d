import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import {
  type AgentExecutionEvent,
  type AgentExecutionRequest,
  AgentExecutionRequestSchema,
  type AgentExecutionResponse,
  AgentService,
  type CancelExecutionResponse,
  type ExecutionStatusResponse,
} from "../../gen/ventros/agent/agent_pb";
import { AppError } from "../../lib/errors";
import type { AgentServiceConfig } from "./config";
import { type AgentCall, agentAnswerUnusable, agentCallFailed, agentCallStopped, isTransient } from "./errors";

export type AgentExecutionInput = MessageInitShape<typeof AgentExecutionRequestSchema>;

export interface ExecuteOptions {
  /** Aborting it stops the call and sends CancelExecution for the execution. */
  signal?: AbortSignal;
  /** The CRM the agent's MCP tools call and this execution's API key (call headers, never in the stored request). */
  mcp?: { url: string; key: string };
}

/** What the orchestration calls. Each method throws AppError only (see errors.ts for `details.reason`). */
export interface AgentServiceClient {
  readonly protocol: AgentServiceConfig["protocol"];
  /**
   * Runs one execution and returns the service's response — also when its status is "error" or "timeout": that is
   * the agent's answer, with its stats, for the caller to record. Never sent twice for one execution id.
   */
  execute(input: AgentExecutionInput, opts?: ExecuteOptions): Promise<AgentExecutionResponse>;
  /** The same execution as events; the last one is `completed` or `failed`. Stopping early cancels the execution. */
  executeStream(input: AgentExecutionInput, opts?: ExecuteOptions): AsyncIterable<AgentExecutionEvent>;
  /** Where an execution is, or null when the service does not know the id. */
  status(executionId: string, opts?: { signal?: AbortSignal }): Promise<ExecutionStatusResponse | null>;
  /** Stops an execution (idempotent; an id not yet seen is reserved as cancelled so it never starts). */
  cancel(executionId: string, reason: string, opts?: { signal?: AbortSignal }): Promise<CancelExecutionResponse>;
}

export interface ClientTuning {
  /** How much longer than the request's timeout the client waits before it gives up and cancels (default 5 s). */
  deadlineMarginMs?: number;
  /** The budget of a CancelExecution sent on timeout or abort, retries included (default 2 s). */
  cancelTimeoutMs?: number;
  /** The budget of one status or cancel attempt called directly (default 5 s). */
  callTimeoutMs?: number;
}

/** One execution's deadline on the client side, and what ended it, if anything did. */
interface Deadline {
  signal: AbortSignal;
  ms: number;
  stoppedBy?: "timeout" | "cancelled";
  abort(): void;
  clear(): void;
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
export const MCP_URL_HEADER = "x-ventros-mcp-url";
export const MCP_KEY_HEADER = "x-ventros-mcp-key";
const ATTEMPTS = 3;

export function createAgentServiceClient(config: AgentServiceConfig, tuning: ClientTuning = {}): AgentServiceClient {
  const margin = tuning.deadlineMarginMs ?? 5_000;
  const cancelBudget = tuning.cancelTimeoutMs ?? 2_000;
  const callTimeout = tuning.callTimeoutMs ?? 5_000;
  const rpc = createClient(AgentService, transportFor(config));
  const call = (name: AgentCall["rpc"], executionId: string): AgentCall => ({ rpc: name, protocol: config.protocol, executionId });

  /** Idempotent calls only: a transient failure is tried again, up to ATTEMPTS, within the caller's signal. */
  async function retrying<T>(name: AgentCall["rpc"], executionId: string, signal: AbortSignal | undefined, once: () => Promise<T>) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once();
      } catch (err) {
        if (attempt >= ATTEMPTS || signal?.aborted || !isTransient(err))
          throw agentCallFailed(err, call(name, executionId), [config.token]);
        await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
      }
    }
  }

  const client: AgentServiceClient = {
    protocol: config.protocol,

    async execute(input, opts = {}) {
      const req = executionRequest(input);
      const headers = mcpHeaders(opts.mcp);
      return runWithDeadline(req, opts, call("ExecuteAgent", req.executionId), async (signal) =>
        rpc.executeAgent(req, { signal, headers }),
      );
    },

    async *executeStream(input, opts = {}) {
      const req = executionRequest(input);
      const what = call("ExecuteAgentStream", req.executionId);
      const deadline = executionDeadline(req, opts.signal);
      let settled = false;
      try {
        for await (const event of rpc.executeAgentStream(req, { signal: deadline.signal, headers: mcpHeaders(opts.mcp) })) {
          settled = event.event.case === "completed" || event.event.case === "failed";
          yield event;
          if (settled) return;
        }
        throw agentAnswerUnusable(what, "the stream ended without a completed or failed event");
      } catch (err) {
        settled = true;
        throw await stoppedOrFailed(err, what, deadline, opts.mcp?.key);
      } finally {
        deadline.clear();
        // The consumer stopped reading before the end: the execution would run on for nobody.
        if (!settled) {
          deadline.abort();
          await cancelQuietly(req.executionId, "the caller stopped reading the stream");
        }
      }
    },

    async status(executionId, opts = {}) {
      try {
        return await retrying("GetExecutionStatus", executionId, opts.signal, () =>
          rpc.getExecutionStatus({ executionId }, { signal: opts.signal, timeoutMs: callTimeout }),
        );
      } catch (err) {
        if (err instanceof AppError && (err.details as { grpcCode?: string })?.grpcCode === "not_found") return null;
        throw err;
      }
    },

    cancel(executionId, reason, opts = {}) {
      return retrying("CancelExecution", executionId, opts.signal, () =>
        rpc.cancelExecution({ executionId, reason }, { signal: opts.signal, timeoutMs: callTimeout }),
      );
    },
  };

  async function runWithDeadline<T>(
    req: AgentExecutionRequest,
    opts: ExecuteOptions,
    what: AgentCall,
    run: (s: AbortSignal) => Promise<T>,
  ) {
    const deadline = executionDeadline(req, opts.signal);
    try {
      return await run(deadline.signal);
    } catch (err) {
      throw await stoppedOrFailed(err, what, deadline, opts.mcp?.key);
    } finally {
      deadline.clear();
    }
  }

  /** After a timeout or an abort the execution may still be running there: it is cancelled before the caller hears. */
  async function stoppedOrFailed(err: unknown, what: AgentCall, deadline: Deadline, mcpKey: string | undefined): Promise<AppError> {
    if (!deadline.stoppedBy) return agentCallFailed(err, what, [config.token, mcpKey]);
    const reason = deadline.stoppedBy === "timeout" ? `no result within ${deadline.ms} ms` : "cancelled by the caller";
    const sent = await cancelQuietly(what.executionId, reason);
    return agentCallStopped(what, deadline.stoppedBy, deadline.ms, sent);
  }

  /** Best effort: the caller's outcome is already decided, so a failed cancel is reported as `cancelSent: false`. */
  async function cancelQuietly(executionId: string, reason: string): Promise<boolean> {
    const budget = AbortSignal.timeout(cancelBudget);
    return retrying("CancelExecution", executionId, budget, () =>
      rpc.cancelExecution({ executionId, reason }, { signal: budget, timeoutMs: cancelBudget }),
    ).then(
      () => true,
      () => false,
    );
  }

  /**
   * The client's own deadline: the request's timeout plus a margin, so the service's answer "timeout" (it stops
   * itself at timeout_seconds) normally arrives first, and a stuck service is given up on a little later.
   */
  function executionDeadline(req: AgentExecutionRequest, callerSignal: AbortSignal | undefined): Deadline {
    const controller = new AbortController();
    const deadline: Deadline = {
      signal: controller.signal,
      ms: req.timeoutSeconds * 1000 + margin,
      abort: () => controller.abort(),
      clear: () => {
        clearTimeout(timer);
        callerSignal?.removeEventListener("abort", onAbort);
      },
    };
    const stop = (by: "timeout" | "cancelled") => {
      deadline.stoppedBy ??= by;
      controller.abort();
    };
    const onAbort = () => stop("cancelled");
    const timer = setTimeout(() => stop("timeout"), deadline.ms);
    if (callerSignal?.aborted) onAbort();
    else callerSignal?.addEventListener("abort", onAbort, { once: true });
    return deadline;
  }

  return client;
}

function transportFor(config: AgentServiceConfig): Transport {
  const interceptors: Interceptor[] = config.token ? [bearer(config.token)] : [];
  const options = {
    baseUrl: config.url,
    useBinaryFormat: true,
    interceptors,
    // connect-web asks fetch for `redirect: "error"`, which workerd rejects; a redirect then fails as an HTTP status.
    fetch: (input: RequestInfo | URL, init?: RequestInit) => fetch(input, { ...init, redirect: "manual" }),
  };
  return config.protocol === "connect" ? createConnectTransport(options) : createGrpcWebTransport(options);
}

const bearer =
  (token: string): Interceptor =>
  (next) =>
  (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };

/** The request as it will be sent: an execution id is required (cancel needs it), timeout 0 means the default. */
function executionRequest(input: AgentExecutionInput): AgentExecutionRequest {
  const req = create(AgentExecutionRequestSchema, input);
  if (!req.executionId)
    throw new AppError("invalid_request", "An agent execution needs an execution id", [{ path: "executionId", message: "required" }]);
  if (req.timeoutSeconds <= 0) req.timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
  return req;
}

const mcpHeaders = (mcp: ExecuteOptions["mcp"]): Record<string, string> =>
  mcp ? { [MCP_URL_HEADER]: mcp.url, [MCP_KEY_HEADER]: mcp.key } : {};
