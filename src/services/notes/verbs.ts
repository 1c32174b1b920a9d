import { z } from "zod";
import { actorTypeEnum } from "../../db/schema/enums";
import { PageQuery } from "../shared/crud";
import { nothing, page, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { createNote, deleteNote, listNotes, NoteFields, NoteInput, updateNote } from "./index";

const Note = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    contactId: z.string(),
    sessionId: z.string().nullable(),
    authorType: z.enum(actorTypeEnum.enumValues),
    authorId: z.string().nullable(),
    body: z.string(),
    pinned: z.boolean(),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Note" });

const contactId = z.uuid().describe("The contact id");
const noteId = z.uuid().describe("The note id");

export const listNotesVerb = defineVerb({
  name: "notes.list",
  summary: "List a contact's notes (pinned first, then newest)",
  permission: "crm:read",
  input: PageQuery.extend({ contactId }),
  output: page(Note, "NotePage"),
  emits: [],
  run: (ctx, { contactId, ...q }) => listNotes(ctx, contactId, q),
});

export const createNoteVerb = defineVerb({
  name: "notes.create",
  summary: "Add a note to a contact (optionally tied to one of its sessions)",
  permission: "notes:write",
  input: NoteInput.extend({ contactId }),
  output: Note,
  emits: ["note.created"],
  run: (ctx, { contactId, ...note }) => createNote(ctx, contactId, note),
});

export const updateNoteVerb = defineVerb({
  name: "notes.update",
  summary: "Edit a note (its author, a manager or an admin)",
  permission: "notes:write",
  input: NoteFields.extend({ noteId }),
  rules: ({ noteId: _, ...fields }) =>
    Object.values(fields).some((v) => v !== undefined) ? [] : [{ path: "", message: "give at least one field to change" }],
  output: Note,
  emits: ["note.updated"],
  run: (ctx, { noteId, ...fields }) => updateNote(ctx, noteId, fields),
});

export const deleteNoteVerb = defineVerb({
  name: "notes.delete",
  summary: "Delete a note (its author, a manager or an admin)",
  permission: "notes:write",
  input: z.object({ noteId }),
  output: nothing,
  emits: ["note.deleted"],
  run: (ctx, { noteId }) => deleteNote(ctx, noteId),
});
