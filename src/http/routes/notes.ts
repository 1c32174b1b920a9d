import { z } from "@hono/zod-openapi";
import { createNote, deleteNote, listNotes, NoteInput, NoteUpdateInput, updateNote } from "../../services/notes";
import { PageQuery } from "../../services/shared/crud";
import { authedRoute, authErrors, IdParam, json, jsonBody, noContent, page, resource } from "../openapi";
import { createRouter } from "../router";

const Note = resource("Note", { contactId: z.string(), body: z.string(), pinned: z.boolean(), authorType: z.string(), authorId: z.string().nullable() });
const tags = ["Notes"];

const list = authedRoute("crm:read", { method: "get", path: "/contacts/{id}/notes", tags, summary: "List a contact's notes (pinned first)", request: { params: IdParam, query: PageQuery }, responses: { 200: json(page(Note, "NotePage"), "Notes"), ...authErrors() } });
const create = authedRoute("notes:write", { method: "post", path: "/contacts/{id}/notes", tags, summary: "Add a note to a contact", request: { params: IdParam, body: jsonBody(NoteInput) }, responses: { 201: json(Note, "Created"), ...authErrors() } });
const update = authedRoute("notes:write", { method: "patch", path: "/notes/{id}", tags, summary: "Edit a note (author, manager or admin)", request: { params: IdParam, body: jsonBody(NoteUpdateInput) }, responses: { 200: json(Note, "Updated"), ...authErrors() } });
const remove = authedRoute("notes:write", { method: "delete", path: "/notes/{id}", tags, summary: "Delete a note (author, manager or admin)", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });

export const noteRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json(await listNotes(c.var.svc, c.req.valid("param").id, c.req.valid("query")), 200);
  })
  .openapi(create, async (c) => {
    return c.json(await createNote(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 201);
  })
  .openapi(update, async (c) => {
    return c.json(await updateNote(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    await deleteNote(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  });
