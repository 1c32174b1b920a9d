import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter, type HandlerContext } from "@connectrpc/connect";
import {
  type AgentActionSchema,
  type AgentExecutionEventSchema,
  type AgentExecutionRequest,
  type AgentExecutionResponse,
  AgentExecutionResponseSchema,
  AgentService,
  ExecutionState,
} from "../../src/gen/ventros/agent/agent_pb";
import { CUSTOMER_SERVICE, CUSTOMER_SERVICE_CHAIN, runCustomerService, type SubAgent } from "./chain";
import type { Composer } from "./compose";
import { EventQueue } from "./event-queue";
import type { ExecutionRecord, Executions } from "./executions";
import type { AgentFault } from "./faults";
import { LlmError } from "./llm";
import type { McpTarget } from "./mcp-client";

type EventInit = MessageInitShape<typeof AgentExecutionEventSchema>;
/** What an outcome sets on the response; the stats come from the execution's progress. */
interface ResponseFields {
  status: "success" | "error" | "timeout" | "cancelled";
  responseText?: string;
  actions?: MessageInitShape<typeof AgentActionSchema>[];
  tokensUsed?: number;
  costUsd?: number;
  metadata?: Record<string, string>;
  errorCode?: string;
  errorMessage?: string;
}
type Outcome = Exclude<EventInit["event"], undefined>;

export const MCP_URL_HEADER = "x-ventros-mcp-url";
export const MCP_KEY_HEADER = "x-ventros-mcp-key";
const DEFAULT_TIMEOUT_SECONDS = 30;

/** One RPC as the service received it: tests read these to see what a client did (and did not) send. */
export interface ReceivedCall {
  method: string;
  executionId: string;
  protocol: string;
  /** Whether the call named a CRM to reach; the URL and key themselves are not kept. */
  mcp: boolean;
  at: number;
}

export interface ServiceState {
  executions: Executions;
  faults: Map<string, AgentFault>;
  calls: ReceivedCall[];
  composer: Composer;
}

export function agentServiceRoutes(state: ServiceState) {
  const { executions } = state;
  const received = (method: string, executionId: string, ctx: HandlerContext) =>
    state.calls.push({ method, executionId, protocol: ctx.protocolName, mcp: ctx.requestHeader.has(MCP_URL_HEADER), at: Date.now() });

  return (router: ConnectRouter) =>
    router.service(AgentService, {
      async executeAgent(req, ctx) {
        received("ExecuteAgent", req.executionId, ctx);
        let last: EventInit | undefined;
        for await (const event of start(state, req, ctx)) last = event;
        const outcome = last?.event;
        if (outcome?.case === "completed" || outcome?.case === "failed") return outcome.value.response!;
        throw new ConnectError("the execution ended without a result", Code.Internal);
      },
      async *executeAgentStream(req, ctx) {
        received("ExecuteAgentStream", req.executionId, ctx);
        yield* start(state, req, ctx);
      },
      async getExecutionStatus(req, ctx) {
        received("GetExecutionStatus", req.executionId, ctx);
        const record = executions.get(req.executionId);
        if (!record) throw new ConnectError(`execution ${req.executionId} is not known`, Code.NotFound);
        return {
          executionId: record.id,
          agentType: record.agentType,
          state: record.state,
          currentSubAgent: record.currentSubAgent,
          subAgentsCalled: record.subAgentsCalled,
          mcpToolsCalled: record.mcpToolsCalled,
          elapsedMs: (record.response?.executionTimeMs ?? Date.now() - record.startedAt) | 0,
          cancelReason: record.cancelReason,
          response: record.response,
        };
      },
      async cancelExecution(req, ctx) {
        received("CancelExecution", req.executionId, ctx);
        if (!req.executionId) throw new ConnectError("execution_id is required", Code.InvalidArgument);
        return { executionId: req.executionId, ...executions.cancel(req.executionId, req.reason || "no reason given") };
      },
    });
}

/** Validates the request, registers the execution and runs it in the background; its events are returned. */
function start(state: ServiceState, req: AgentExecutionRequest, ctx: HandlerContext): EventQueue<EventInit> {
  if (!req.executionId) throw new ConnectError("execution_id is required", Code.InvalidArgument);
  const agentType = req.agentType || CUSTOMER_SERVICE;
  if (agentType !== CUSTOMER_SERVICE) {
    throw new ConnectError(
      `agent_type ${agentType} is not served here; this reference service runs ${CUSTOMER_SERVICE}`,
      Code.InvalidArgument,
    );
  }
  const mcp = mcpTarget(ctx.requestHeader);
  const record = state.executions.begin(req.executionId, agentType);
  const fault = state.faults.get(req.executionId);
  state.faults.delete(req.executionId);
  const queue = new EventQueue<EventInit>();
  void run(state, record, req, mcp, fault, queue);
  return queue;
}

async function run(
  state: ServiceState,
  record: ExecutionRecord,
  req: AgentExecutionRequest,
  mcp: McpTarget | undefined,
  fault: AgentFault | undefined,
  queue: EventQueue<EventInit>,
) {
  const progress = { subAgents: [] as string[], tools: [] as string[], sequence: 0 };
  const emit = (event: Outcome) =>
    queue.push({ executionId: record.id, sequence: ++progress.sequence, elapsedMs: Date.now() - record.startedAt, event });
  const response = (fields: ResponseFields): AgentExecutionResponse =>
    create(AgentExecutionResponseSchema, {
      executionId: record.id,
      agentType: record.agentType,
      executionTimeMs: Date.now() - record.startedAt,
      subAgentsCalled: progress.subAgents.length,
      subAgentTypes: progress.subAgents,
      mcpToolsCalled: progress.tools.length,
      mcpToolNames: progress.tools,
      ...fields,
      metadata: { model: state.composer.model, ...fields.metadata },
    });
  const deadline = AbortSignal.timeout((req.timeoutSeconds > 0 ? req.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS) * 1000);
  const signal = AbortSignal.any([record.cancel.signal, deadline]);

  emit({ case: "started", value: { agentType: record.agentType, model: state.composer.model } });
  try {
    if (fault?.kind === "hang") await abortedOnly(record.cancel.signal);
    if (fault?.kind === "delay") await sleep(fault.ms, signal);
    if (fault?.kind === "rpc-error") throw new ConnectError(fault.message ?? "simulated failure", connectCode(fault.code));
    if (fault?.kind === "agent-error") {
      const failed = response({ status: "error", errorCode: fault.code, errorMessage: fault.message ?? "simulated agent failure" });
      return finish(ExecutionState.FAILED, failed);
    }
    const result = await runCustomerService(req, mcp, state.composer, {
      signal,
      subAgentStarted(name: SubAgent) {
        progress.subAgents.push(name);
        record.currentSubAgent = name;
        record.subAgentsCalled = progress.subAgents.length;
        emit({ case: "subAgentStarted", value: { subAgentType: name, position: CUSTOMER_SERVICE_CHAIN.indexOf(name) + 1 } });
      },
      toolCalled(subAgent, tool, outcome) {
        progress.tools.push(tool);
        record.mcpToolsCalled = progress.tools.length;
        const error = outcome.ok ? "" : outcome.code;
        emit({
          case: "toolCalled",
          value: { subAgentType: subAgent, toolName: tool, ok: outcome.ok, errorCode: error, durationMs: outcome.ms },
        });
      },
      partialText(delta) {
        emit({ case: "partialText", value: { delta } });
      },
    });
    const actions = fault?.kind === "actions" ? fault.actions : [];
    finish(
      ExecutionState.SUCCEEDED,
      response({
        status: "success",
        responseText: result.text,
        actions,
        tokensUsed: result.tokens,
        costUsd: result.costUsd,
        metadata: { model: result.model, citations: JSON.stringify(result.citations), ...result.notes },
      }),
    );
  } catch (err) {
    if (record.cancel.signal.aborted) {
      finish(ExecutionState.CANCELLED, response({ status: "cancelled", errorCode: "cancelled", errorMessage: record.cancelReason }));
    } else if (deadline.aborted) {
      const timeout = `no result within ${req.timeoutSeconds || DEFAULT_TIMEOUT_SECONDS} s`;
      finish(ExecutionState.TIMED_OUT, response({ status: "timeout", errorCode: "timeout", errorMessage: timeout }));
    } else if (err instanceof ConnectError) {
      // The simulated crash: recorded as failed, and the RPC itself fails (after `started` when streaming).
      state.executions.finish(
        record,
        ExecutionState.FAILED,
        response({ status: "error", errorCode: codeName(err.code), errorMessage: err.rawMessage }),
      );
      queue.end(err);
    } else {
      const code = err instanceof LlmError ? "llm_failed" : "internal";
      finish(ExecutionState.FAILED, response({ status: "error", errorCode: code, errorMessage: String((err as Error)?.message ?? err) }));
    }
  }

  function finish(finalState: ExecutionState, result: AgentExecutionResponse) {
    state.executions.finish(record, finalState, result);
    emit(
      finalState === ExecutionState.SUCCEEDED
        ? { case: "completed", value: { response: result } }
        : { case: "failed", value: { response: result } },
    );
    queue.end();
  }
}

/** The CRM this execution's tools call, from the call headers (see the proto's header comment). */
function mcpTarget(headers: Headers): McpTarget | undefined {
  const url = headers.get(MCP_URL_HEADER);
  const key = headers.get(MCP_KEY_HEADER);
  if (!url && !key) return undefined;
  if (!url || !key) throw new ConnectError(`${MCP_URL_HEADER} and ${MCP_KEY_HEADER} go together`, Code.InvalidArgument);
  if (!/^https?:\/\/[^\s]+$/.test(url)) throw new ConnectError(`${MCP_URL_HEADER} must be an http(s) URL`, Code.InvalidArgument);
  return { url, key };
}

/** "unavailable", "INVALID_ARGUMENT", "InvalidArgument" → the Connect code. */
function connectCode(name: string): Code {
  const wanted = name.replace(/[_\s-]/g, "").toLowerCase();
  const match = Object.entries(Code).find(([key, value]) => typeof value === "number" && key.toLowerCase() === wanted);
  return match ? (match[1] as Code) : Code.Unknown;
}

/** Code.InvalidArgument → "invalid_argument", as the CRM names error codes. */
const codeName = (code: Code) => Code[code].replace(/(?<=[a-z])(?=[A-Z])/g, "_").toLowerCase();

const abortedOnly = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
