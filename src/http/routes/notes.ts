import { createRoute, z } from "@hono/zod-openapi";
import { authorize } from "../../services/auth/permissions";
import { createNote, deleteNote, listNotes, NoteInput, NoteUpdateInput, updateNote } from "../../services/notes";
import { PageQuery } from "../../services/shared/crud";
import { authErrors, IdParam, json, jsonBody, noContent, page, resource, security } from "../openapi";
import { createRouter } from "../router";

const Note = resource("Note", { contactId: z.string(), body: z.string(), pinned: z.boolean(), authorType: z.string(), authorId: z.string().nullable() });
const tags = ["Notes"];

const list = createRoute({ method: "get", path: "/contacts/{id}/notes", tags, security, summary: "List a contact's notes (pinned first)", request: { params: IdParam, query: PageQuery }, responses: { 200: json(page(Note, "NotePage"), "Notes"), ...authErrors() } });
const create = createRoute({ method: "post", path: "/contacts/{id}/notes", tags, security, summary: "Add a note to a contact", request: { params: IdParam, body: jsonBody(NoteInput) }, responses: { 201: json(Note, "Created"), ...authErrors() } });
const update = createRoute({ method: "patch", path: "/notes/{id}", tags, security, summary: "Edit a note (author, manager or admin)", request: { params: IdParam, body: jsonBody(NoteUpdateInput) }, responses: { 200: json(Note, "Updated"), ...authErrors() } });
const remove = createRoute({ method: "delete", path: "/notes/{id}", tags, security, summary: "Delete a note (author, manager or admin)", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });

export const noteRoutes = createRouter()
  .openapi(list, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json(await listNotes(c.var.svc, c.req.valid("param").id, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    authorize(c.var.principal, "notes:write");
    return c.json(await createNote(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 201);
  })
  .openapi(update, async (c) => {
    authorize(c.var.principal, "notes:write");
    return c.json(await updateNote(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    authorize(c.var.principal, "notes:write");
    await deleteNote(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  });
