import {
  addListMembersVerb,
  createListVerb,
  deleteListVerb,
  getListVerb,
  listContactListsVerb,
  listListMembersVerb,
  removeListMemberVerb,
  updateListVerb,
} from "../../services/lists/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Contact lists"];

export const listRoutes = createRouter()
  .openapi(...verbRoute(listContactListsVerb, { method: "get", path: "/contact-lists", tags }))
  .openapi(...verbRoute(createListVerb, { method: "post", path: "/contact-lists", status: 201, tags }))
  .openapi(...verbRoute(getListVerb, { method: "get", path: "/contact-lists/{listId}", tags }))
  .openapi(...verbRoute(updateListVerb, { method: "patch", path: "/contact-lists/{listId}", tags }))
  .openapi(...verbRoute(deleteListVerb, { method: "delete", path: "/contact-lists/{listId}", status: 204, tags }))
  .openapi(...verbRoute(listListMembersVerb, { method: "get", path: "/contact-lists/{listId}/members", tags }))
  .openapi(...verbRoute(addListMembersVerb, { method: "post", path: "/contact-lists/{listId}/members", tags, errors: [422] }))
  .openapi(
    ...verbRoute(removeListMemberVerb, { method: "delete", path: "/contact-lists/{listId}/members/{contactId}", status: 204, tags }),
  );
