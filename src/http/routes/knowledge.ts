import {
  deleteFactVerb,
  documentReferencesVerb,
  entityGraphVerb,
  listEntitiesVerb,
  listFactsVerb,
  updateFactVerb,
} from "../../services/memory/knowledge/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Knowledge"];

/** Facts about contacts, entities and their graph, and the documents that mention an entity (services/memory/knowledge). */
export const knowledgeRoutes = createRouter()
  .openapi(...verbRoute(listFactsVerb, { method: "get", path: "/contacts/{contactId}/facts", tags }))
  .openapi(...verbRoute(updateFactVerb, { method: "patch", path: "/facts/{factId}", tags, errors: [409, 422] }))
  .openapi(...verbRoute(deleteFactVerb, { method: "delete", path: "/facts/{factId}", status: 204, tags, errors: [409] }))
  .openapi(...verbRoute(listEntitiesVerb, { method: "get", path: "/entities", tags }))
  .openapi(...verbRoute(entityGraphVerb, { method: "get", path: "/entities/{entityId}/graph", tags }))
  .openapi(...verbRoute(documentReferencesVerb, { method: "get", path: "/document-references", tags }));
