import { z } from "@hono/zod-openapi";
import { createContact } from "../../services/contacts/create";
import { deleteContact } from "../../services/contacts/delete";
import { getContact } from "../../services/contacts/get";
import { addIdentifier, removeIdentifier } from "../../services/contacts/identifiers";
import { listContacts } from "../../services/contacts/list";
import { updateContact } from "../../services/contacts/update";
import { ContactCreateInput, ContactListQuery, ContactUpdateInput, IdentifierInput } from "../../services/contacts/schemas";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, page } from "../openapi";
import { createRouter } from "../router";

export const ContactSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
    email: z.string().nullable(),
    customFields: z.record(z.string(), z.unknown()),
    assignedAgentId: z.string().nullable(),
    source: z.string().nullable(),
    language: z.string().nullable(),
    profilePictureUrl: z.string().nullable(),
    firstInteractionAt: z.string().nullable(),
    lastInteractionAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Contact");

const Identifier = z.object({ id: z.string().optional(), kind: z.string(), value: z.string() }).openapi("ContactIdentifier");
const ContactDetail = ContactSchema.extend({
  identifiers: z.array(Identifier),
  tags: z.array(z.object({ id: z.string(), name: z.string(), color: z.string().nullable() })),
  stages: z.array(z.object({ pipelineId: z.string(), stageId: z.string(), stageName: z.string(), enteredAt: z.string() })),
}).openapi("ContactDetail");

const tags = ["Contacts"];
const base = { tags };
const IdentifierParams = IdParam.extend({ identifierId: z.uuid().openapi({ param: { name: "identifierId", in: "path" } }) });

const list = authedRoute("crm:read", {
  ...base,
  method: "get",
  path: "/",
  summary: "List contacts (search by name/phone/email, filter by tag, list, stage, agent, date; cursor pagination)",
  request: { query: ContactListQuery },
  responses: { 200: json(page(ContactSchema, "ContactPage"), "A page of contacts"), ...authErrors() },
});
const create = authedRoute("contacts:write", {
  ...base,
  method: "post",
  path: "/",
  summary: "Create a contact",
  request: { body: jsonBody(ContactCreateInput) },
  responses: { 201: json(ContactSchema.extend({ identifiers: z.array(Identifier) }), "Created"), ...authErrors(), ...errors(409, 422) },
});
const get = authedRoute("crm:read", {
  ...base,
  method: "get",
  path: "/{id}",
  summary: "Get a contact with identifiers, tags and pipeline stages",
  request: { params: IdParam },
  responses: { 200: json(ContactDetail, "The contact"), ...authErrors() },
});
const update = authedRoute("contacts:write", {
  ...base,
  method: "patch",
  path: "/{id}",
  summary: "Update a contact (custom fields are merged; null removes a key)",
  request: { params: IdParam, body: jsonBody(ContactUpdateInput) },
  responses: { 200: json(ContactSchema, "Updated"), ...authErrors(), ...errors(422) },
});
const remove = authedRoute("contacts:delete", {
  ...base,
  method: "delete",
  path: "/{id}",
  summary: "Delete a contact",
  request: { params: IdParam },
  responses: { 204: { description: "Deleted" }, ...authErrors() },
});
const addId = authedRoute("contacts:write", {
  ...base,
  method: "post",
  path: "/{id}/identifiers",
  summary: "Add an identifier (phone, WhatsApp @c.us / @lid, email) to a contact",
  request: { params: IdParam, body: jsonBody(IdentifierInput) },
  responses: { 201: json(Identifier, "Added"), ...authErrors(), ...errors(409) },
});
const removeId = authedRoute("contacts:write", {
  ...base,
  method: "delete",
  path: "/{id}/identifiers/{identifierId}",
  summary: "Remove an identifier from a contact",
  request: { params: IdentifierParams },
  responses: { 204: { description: "Removed" }, ...authErrors() },
});

export const contactRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json(await listContacts(c.var.svc, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    return c.json(await createContact(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => {
    return c.json(await getContact(c.var.svc, c.req.valid("param").id), 200);
  })
  .openapi(update, async (c) => {
    return c.json(await updateContact(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    await deleteContact(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(addId, async (c) => {
    return c.json(await addIdentifier(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 201);
  })
  .openapi(removeId, async (c) => {
    const { id, identifierId } = c.req.valid("param");
    await removeIdentifier(c.var.svc, id, identifierId);
    return c.body(null, 204);
  });
