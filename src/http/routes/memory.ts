import { reembedMemoryVerb, searchMemoryVerb } from "../../services/memory/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Memory"];

export const memoryRoutes = createRouter()
  .openapi(...verbRoute(searchMemoryVerb, { method: "get", path: "/memory/search", tags }))
  .openapi(...verbRoute(reembedMemoryVerb, { method: "post", path: "/memory/reembed", tags, optionalBody: true }));
