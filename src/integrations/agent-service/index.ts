/**
 * The agent service (the Python ADK; scripts/agent-service locally) over gRPC-Web or Connect: the contract is
 * proto/ventros/agent/agent.proto, its generated code src/gen/.
 */
import { createAgentServiceClient } from "./client";
import { type AgentServiceVars, agentServiceConfig } from "./config";

export type {
  AgentAction,
  AgentExecutionEvent,
  AgentExecutionResponse,
  CancelExecutionResponse,
  ExecutionStatusResponse,
} from "../../gen/ventros/agent/agent_pb";
export { ExecutionState } from "../../gen/ventros/agent/agent_pb";
export {
  type AgentExecutionInput,
  type AgentServiceClient,
  type ClientTuning,
  createAgentServiceClient,
  DEFAULT_TIMEOUT_SECONDS,
  type ExecuteOptions,
} from "./client";
export { type AgentServiceConfig, type AgentServiceProtocol, type AgentServiceVars, agentServiceConfig } from "./config";
export type { AgentFailureReason } from "./errors";

/** The client for this Worker's settings, or null when AGENT_SERVICE_URL is empty (AI agents are off). */
export function agentServiceFromEnv(vars: AgentServiceVars) {
  const config = agentServiceConfig(vars);
  return config ? createAgentServiceClient(config) : null;
}
