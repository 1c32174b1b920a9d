import { Code, ConnectError } from "@connectrpc/connect";
import { type AgentExecutionResponse, ExecutionState } from "../../src/gen/ventros/agent/agent_pb";

/** What the service remembers of one execution id, for GetExecutionStatus and CancelExecution. */
export interface ExecutionRecord {
  id: string;
  agentType: string;
  state: ExecutionState;
  startedAt: number;
  currentSubAgent: string;
  subAgentsCalled: number;
  mcpToolsCalled: number;
  cancelReason: string;
  /** Set once finished. */
  response?: AgentExecutionResponse;
  /** Aborted by CancelExecution (or the service closing); the execution's own deadline is separate. */
  cancel: AbortController;
}

const KEPT = 10_000;

/**
 * Every execution id the service has seen, running or finished. An id is used once: that is what makes the caller's
 * rule "never a second ExecuteAgent for the same id" checkable here, and lets a late request for an id that was
 * already cancelled be refused instead of run.
 */
export class Executions {
  private readonly records = new Map<string, ExecutionRecord>();

  begin(id: string, agentType: string): ExecutionRecord {
    const seen = this.records.get(id);
    if (seen) {
      const state = ExecutionState[seen.state];
      throw new ConnectError(`execution ${id} was already requested (${state}); an execution id is used once`, Code.AlreadyExists);
    }
    const record = newRecord(id, agentType);
    this.remember(record);
    return record;
  }

  get(id: string): ExecutionRecord | undefined {
    return this.records.get(id);
  }

  /** Stops a running execution; an id not seen yet is reserved as cancelled so its request, if it comes, never runs. */
  cancel(id: string, reason: string): { stopped: boolean; state: ExecutionState } {
    const record = this.records.get(id);
    if (!record) {
      this.remember({ ...newRecord(id, ""), state: ExecutionState.CANCELLED, cancelReason: reason });
      return { stopped: false, state: ExecutionState.CANCELLED };
    }
    if (record.state !== ExecutionState.RUNNING) return { stopped: false, state: record.state };
    record.cancelReason = reason;
    record.cancel.abort(new ConnectError(`cancelled: ${reason}`, Code.Canceled));
    return { stopped: true, state: ExecutionState.CANCELLED };
  }

  finish(record: ExecutionRecord, state: ExecutionState, response: AgentExecutionResponse) {
    record.state = state;
    record.currentSubAgent = "";
    record.response = response;
  }

  /** Stops everything still running (the service is closing). */
  abortAll(reason: string) {
    for (const record of this.records.values()) if (record.state === ExecutionState.RUNNING) this.cancel(record.id, reason);
  }

  private remember(record: ExecutionRecord) {
    this.records.delete(record.id);
    this.records.set(record.id, record);
    // Oldest first in a Map: a long-running dev service forgets old executions instead of growing without bound.
    if (this.records.size > KEPT) this.records.delete(this.records.keys().next().value!);
  }
}

const newRecord = (id: string, agentType: string): ExecutionRecord => ({
  id,
  agentType,
  state: ExecutionState.RUNNING,
  startedAt: Date.now(),
  currentSubAgent: "",
  subAgentsCalled: 0,
  mcpToolsCalled: 0,
  cancelReason: "",
  cancel: new AbortController(),
});
