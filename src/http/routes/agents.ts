import { createAgentVerb, deleteAgentVerb, getAgentVerb, listAgentsVerb, updateAgentVerb } from "../../services/agents/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Agents"];

export const agentRoutes = createRouter()
  .openapi(...verbRoute(listAgentsVerb, { method: "get", path: "/agents", tags }))
  .openapi(...verbRoute(createAgentVerb, { method: "post", path: "/agents", status: 201, tags, errors: [422] }))
  .openapi(...verbRoute(getAgentVerb, { method: "get", path: "/agents/{agentId}", tags }))
  .openapi(...verbRoute(updateAgentVerb, { method: "patch", path: "/agents/{agentId}", tags, errors: [422] }))
  .openapi(...verbRoute(deleteAgentVerb, { method: "delete", path: "/agents/{agentId}", status: 204, tags }));
