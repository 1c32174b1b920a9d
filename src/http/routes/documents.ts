import { z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../lib/errors";
import {
  deleteDocumentVerb,
  documentContentVerb,
  getDocumentVerb,
  listDocumentsVerb,
  uploadDocumentVerb,
} from "../../services/memory/verbs";
import { callVerb } from "../../services/verbs/define";
import { authErrors, authedRoute, errors, json } from "../openapi";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Documents"];
export const DOCUMENT_UPLOAD_PATH = "/api/v1/documents";

const fields = uploadDocumentVerb.input.shape;
/** The form's fields are the verb's own (title, type, contact); the file travels as the `file` part. */
const UploadForm = z.object({
  file: z
    .custom<File>((v) => v instanceof File, { message: "must be a file part named `file`" })
    .openapi({ type: "string", format: "binary", description: "PDF, plain text or Markdown" }),
  title: fields.title,
  documentType: fields.documentType,
  contactId: fields.contactId,
});

/** A body that is not a form gets a 415 naming what is accepted, not a validation error about a missing `file`. */
const requireMultipart = createMiddleware(async (c, next) => {
  if (!/^multipart\/form-data\s*;/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError("unsupported_media_type", "Send the file as multipart/form-data (a form with a `file` part)", {
      accepted: ["multipart/form-data"],
      received: c.req.header("content-type") ?? null,
    });
  }
  await next();
});

const upload = authedRoute(
  uploadDocumentVerb.permission,
  {
    method: "post",
    path: "/documents",
    tags,
    summary: uploadDocumentVerb.summary,
    description:
      "Multipart upload (`file`, optional `title`, `documentType`, `contactId`). Answers 202 with the document in status " +
      "`pending`; its status changes (`processing`, `ready`, `failed`) are on the project's realtime feed. The same file " +
      "uploaded again answers 200 with the existing document and `duplicate: true`.",
    "x-verb": uploadDocumentVerb.name,
    request: { body: { required: true, content: { "multipart/form-data": { schema: UploadForm } } } },
    responses: {
      202: json(uploadDocumentVerb.output, "Stored; processing in the background"),
      200: json(uploadDocumentVerb.output, "The same file was already uploaded: that document"),
      ...authErrors(),
      ...errors(413, 415),
    },
  },
  requireMultipart,
);

export const documentRoutes = createRouter()
  .openapi(upload, async (c) => {
    const { file, ...form } = c.req.valid("form");
    const content = new Uint8Array(await file.arrayBuffer());
    const doc = await callVerb(uploadDocumentVerb, c.var.svc, {
      ...form,
      content,
      filename: file.name || undefined,
      mimeType: file.type || undefined,
    });
    return c.json(doc, doc.duplicate ? 200 : 202);
  })
  .openapi(...verbRoute(listDocumentsVerb, { method: "get", path: "/documents", tags }))
  .openapi(...verbRoute(getDocumentVerb, { method: "get", path: "/documents/{documentId}", tags }))
  .openapi(...verbRoute(documentContentVerb, { method: "get", path: "/documents/{documentId}/content", tags, errors: [409] }))
  .openapi(...verbRoute(deleteDocumentVerb, { method: "delete", path: "/documents/{documentId}", status: 204, tags }));
