import { z } from "@hono/zod-openapi";
import { schema } from "../../db";
import { addMembers, createList, deleteList, ListInput, listMembers, MembersInput, removeMember, updateList } from "../../services/lists";
import { findScoped, listScoped, PageQuery } from "../../services/shared/crud";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, noContent, page, resource, uuidParam } from "../openapi";
import { createRouter } from "../router";

const ContactList = resource("ContactList", { name: z.string(), description: z.string().nullable() });
const tags = ["Contact lists"];

const list = authedRoute("crm:read", { method: "get", path: "/contact-lists", tags, summary: "List contact lists", request: { query: PageQuery }, responses: { 200: json(page(ContactList, "ContactListPage"), "Lists"), ...authErrors() } });
const create = authedRoute("lists:manage", { method: "post", path: "/contact-lists", tags, summary: "Create a static contact list", request: { body: jsonBody(ListInput) }, responses: { 201: json(ContactList, "Created"), ...authErrors() } });
const get = authedRoute("crm:read", { method: "get", path: "/contact-lists/{id}", tags, summary: "Get a contact list", request: { params: IdParam }, responses: { 200: json(ContactList, "The list"), ...authErrors() } });
const update = authedRoute("lists:manage", { method: "patch", path: "/contact-lists/{id}", tags, summary: "Update a contact list", request: { params: IdParam, body: jsonBody(ListInput.partial()) }, responses: { 200: json(ContactList, "Updated"), ...authErrors() } });
const remove = authedRoute("lists:manage", { method: "delete", path: "/contact-lists/{id}", tags, summary: "Delete a contact list", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });
const members = authedRoute("crm:read", { method: "get", path: "/contact-lists/{id}/members", tags, summary: "List the contacts in a list", request: { params: IdParam, query: PageQuery }, responses: { 200: json(page(z.looseObject({ id: z.string() }), "ListMemberPage"), "Members"), ...authErrors() } });
const add = authedRoute("lists:manage", {
  method: "post", path: "/contact-lists/{id}/members", tags, summary: "Add contacts to a list (existing members are skipped)",
  request: { params: IdParam, body: jsonBody(MembersInput) },
  responses: { 200: json(z.object({ added: z.number(), alreadyMembers: z.number() }), "Added"), ...authErrors(), ...errors(422) },
});
const removeOne = authedRoute("lists:manage", {
  method: "delete", path: "/contact-lists/{id}/members/{contactId}", tags, summary: "Remove a contact from a list",
  request: { params: IdParam.extend({ contactId: uuidParam("contactId") }) },
  responses: { 204: noContent, ...authErrors() },
});

export const listRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json(await listScoped(c.var.svc, schema.contactLists, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    return c.json(await createList(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => {
    return c.json(await findScoped(c.var.svc, schema.contactLists, c.req.valid("param").id, "Contact list"), 200);
  })
  .openapi(update, async (c) => {
    return c.json(await updateList(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    await deleteList(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(members, async (c) => {
    return c.json(await listMembers(c.var.svc, c.req.valid("param").id, c.req.valid("query")), 200);
  })
  .openapi(add, async (c) => {
    return c.json(await addMembers(c.var.svc, c.req.valid("param").id, c.req.valid("json").contactIds), 200);
  })
  .openapi(removeOne, async (c) => {
    const { id, contactId } = c.req.valid("param");
    await removeMember(c.var.svc, id, contactId);
    return c.body(null, 204);
  });
