import { attachTagVerb, createTagVerb, deleteTagVerb, detachTagVerb, listTagsVerb, updateTagVerb } from "../../services/tags/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Tags"];

export const tagRoutes = createRouter()
  .openapi(...verbRoute(listTagsVerb, { method: "get", path: "/tags", tags }))
  .openapi(...verbRoute(createTagVerb, { method: "post", path: "/tags", status: 201, tags, errors: [409] }))
  .openapi(...verbRoute(updateTagVerb, { method: "patch", path: "/tags/{tagId}", tags, errors: [409] }))
  .openapi(...verbRoute(deleteTagVerb, { method: "delete", path: "/tags/{tagId}", status: 204, tags }))
  .openapi(...verbRoute(attachTagVerb, { method: "post", path: "/contacts/{contactId}/tags", tags }))
  .openapi(...verbRoute(detachTagVerb, { method: "delete", path: "/contacts/{contactId}/tags/{tagId}", status: 204, tags }));
