import { createRoute, z } from "@hono/zod-openapi";
import { schema } from "../../db";
import { authorize } from "../../services/auth/permissions";
import { addMembers, createList, deleteList, ListInput, listMembers, MembersInput, removeMember, updateList } from "../../services/lists";
import { findScoped, listScoped, PageQuery } from "../../services/shared/crud";
import { authErrors, errors, IdParam, json, jsonBody, noContent, page, resource, security, uuidParam } from "../openapi";
import { createRouter } from "../router";

const ContactList = resource("ContactList", { name: z.string(), description: z.string().nullable() });
const tags = ["Contact lists"];

const list = createRoute({ method: "get", path: "/contact-lists", tags, security, summary: "List contact lists", request: { query: PageQuery }, responses: { 200: json(page(ContactList, "ContactListPage"), "Lists"), ...authErrors() } });
const create = createRoute({ method: "post", path: "/contact-lists", tags, security, summary: "Create a static contact list", request: { body: jsonBody(ListInput) }, responses: { 201: json(ContactList, "Created"), ...authErrors() } });
const get = createRoute({ method: "get", path: "/contact-lists/{id}", tags, security, summary: "Get a contact list", request: { params: IdParam }, responses: { 200: json(ContactList, "The list"), ...authErrors() } });
const update = createRoute({ method: "patch", path: "/contact-lists/{id}", tags, security, summary: "Update a contact list", request: { params: IdParam, body: jsonBody(ListInput.partial()) }, responses: { 200: json(ContactList, "Updated"), ...authErrors() } });
const remove = createRoute({ method: "delete", path: "/contact-lists/{id}", tags, security, summary: "Delete a contact list", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });
const members = createRoute({ method: "get", path: "/contact-lists/{id}/members", tags, security, summary: "List the contacts in a list", request: { params: IdParam, query: PageQuery }, responses: { 200: json(page(z.looseObject({ id: z.string() }), "ListMemberPage"), "Members"), ...authErrors() } });
const add = createRoute({
  method: "post", path: "/contact-lists/{id}/members", tags, security, summary: "Add contacts to a list (existing members are skipped)",
  request: { params: IdParam, body: jsonBody(MembersInput) },
  responses: { 200: json(z.object({ added: z.number(), alreadyMembers: z.number() }), "Added"), ...authErrors(), ...errors(422) },
});
const removeOne = createRoute({
  method: "delete", path: "/contact-lists/{id}/members/{contactId}", tags, security, summary: "Remove a contact from a list",
  request: { params: IdParam.extend({ contactId: uuidParam("contactId") }) },
  responses: { 204: noContent, ...authErrors() },
});

export const listRoutes = createRouter()
  .openapi(list, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json(await listScoped(c.var.svc, schema.contactLists, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    authorize(c.var.principal, "lists:manage");
    return c.json(await createList(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json(await findScoped(c.var.svc, schema.contactLists, c.req.valid("param").id, "Contact list"), 200);
  })
  .openapi(update, async (c) => {
    authorize(c.var.principal, "lists:manage");
    return c.json(await updateList(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    authorize(c.var.principal, "lists:manage");
    await deleteList(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(members, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json(await listMembers(c.var.svc, c.req.valid("param").id, c.req.valid("query")), 200);
  })
  .openapi(add, async (c) => {
    authorize(c.var.principal, "lists:manage");
    return c.json(await addMembers(c.var.svc, c.req.valid("param").id, c.req.valid("json").contactIds), 200);
  })
  .openapi(removeOne, async (c) => {
    authorize(c.var.principal, "lists:manage");
    const { id, contactId } = c.req.valid("param");
    await removeMember(c.var.svc, id, contactId);
    return c.body(null, 204);
  });
