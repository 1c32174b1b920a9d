import {
  executionMetricsVerb,
  getAiSettingsVerb,
  getExecutionVerb,
  listExecutionsVerb,
  releaseSessionToAiVerb,
  updateAiSettingsVerb,
  updateChannelAiSettingsVerb,
} from "../../services/ai/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["AI agents"];

export const aiRoutes = createRouter()
  .openapi(...verbRoute(getAiSettingsVerb, { method: "get", path: "/ai-settings", tags }))
  .openapi(...verbRoute(updateAiSettingsVerb, { method: "patch", path: "/ai-settings", tags, errors: [422] }))
  .openapi(...verbRoute(updateChannelAiSettingsVerb, { method: "patch", path: "/ai-settings/channels/{channelId}", tags, errors: [422] }))
  .openapi(...verbRoute(listExecutionsVerb, { method: "get", path: "/agent-executions", tags }))
  // Before /{executionId}: "metrics" is not an id.
  .openapi(...verbRoute(executionMetricsVerb, { method: "get", path: "/agent-executions/metrics", tags }))
  .openapi(...verbRoute(getExecutionVerb, { method: "get", path: "/agent-executions/{executionId}", tags }))
  .openapi(...verbRoute(releaseSessionToAiVerb, { method: "post", path: "/sessions/{sessionId}/release-to-ai", tags }));
