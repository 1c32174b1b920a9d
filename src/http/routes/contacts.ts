import {
  addIdentifierVerb,
  createContactVerb,
  deleteContactVerb,
  getContactVerb,
  listContactsVerb,
  removeIdentifierVerb,
  updateContactVerb,
} from "../../services/contacts/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Contacts"];

export const contactRoutes = createRouter()
  .openapi(...verbRoute(listContactsVerb, { method: "get", path: "/", tags }))
  .openapi(...verbRoute(createContactVerb, { method: "post", path: "/", status: 201, tags, errors: [409, 422] }))
  .openapi(...verbRoute(getContactVerb, { method: "get", path: "/{contactId}", tags }))
  .openapi(...verbRoute(updateContactVerb, { method: "patch", path: "/{contactId}", tags, errors: [422] }))
  .openapi(...verbRoute(deleteContactVerb, { method: "delete", path: "/{contactId}", status: 204, tags }))
  .openapi(...verbRoute(addIdentifierVerb, { method: "post", path: "/{contactId}/identifiers", status: 201, tags, errors: [409] }))
  .openapi(...verbRoute(removeIdentifierVerb, { method: "delete", path: "/{contactId}/identifiers/{identifierId}", status: 204, tags }));
