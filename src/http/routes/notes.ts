import { createNoteVerb, deleteNoteVerb, listNotesVerb, updateNoteVerb } from "../../services/notes/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Notes"];

export const noteRoutes = createRouter()
  .openapi(...verbRoute(listNotesVerb, { method: "get", path: "/contacts/{contactId}/notes", tags }))
  .openapi(...verbRoute(createNoteVerb, { method: "post", path: "/contacts/{contactId}/notes", status: 201, tags }))
  .openapi(...verbRoute(updateNoteVerb, { method: "patch", path: "/notes/{noteId}", tags }))
  .openapi(...verbRoute(deleteNoteVerb, { method: "delete", path: "/notes/{noteId}", status: 204, tags }));
