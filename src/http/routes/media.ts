import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../../lib/errors";
import { createServiceContext } from "../../services/context";
import { assertStored, type MediaRow, mediaOfMessage, verifyMediaSignature } from "../../services/media/service";
import { messageMediaUrlVerb, messageMediaVerb } from "../../services/media/verbs";
import type { AppEnv } from "../context";
import { authErrors, authedRoute, errors, json } from "../openapi";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Messages"];
const MessageParam = z.object({ messageId: z.uuid().openapi({ param: { name: "messageId", in: "path" } }) });

const binary = (description: string) => ({
  description,
  content: { "application/octet-stream": { schema: z.string().openapi({ type: "string", format: "binary" }) } },
});

const mediaResponses = {
  200: binary("The whole file, with its sniffed Content-Type and a Content-Disposition naming it"),
  206: binary("The requested byte range (`Range: bytes=…`), with Content-Range"),
  409: json(
    z.object({ error: z.object({ code: z.string(), message: z.string() }) }),
    "The media is not stored: pending, unavailable, too large or failed",
  ),
  416: { description: "The range is outside the file (Content-Range: bytes */size)" },
};

const stream = authedRoute(messageMediaVerb.permission, {
  method: "get",
  path: "/messages/{messageId}/media",
  tags,
  summary: "Download a message's media (Range supported)",
  "x-verb": messageMediaVerb.name,
  description:
    "Streams the copy stored in R2 when the message arrived (or was sent): the type sniffed from the bytes, `inline` " +
    "disposition with the file's name, `Accept-Ranges: bytes` (audio and video players seek with Range). Another " +
    "project's message is 404; media not stored is 409 with its status.",
  request: { params: MessageParam },
  responses: { ...mediaResponses, ...authErrors() },
});

const signed = createRoute({
  method: "get",
  path: "/media/{messageId}",
  tags,
  summary: "Serve media by signed URL (no bearer token)",
  description: "The URL from `GET /api/v1/messages/{messageId}/media/url`. A bad or expired signature is 403.",
  // Public: the signature is the credential (no x-permission).
  request: {
    params: MessageParam,
    query: z.object({
      t: z.string().max(64).optional(),
      p: z.string().max(64).optional(),
      e: z.string().max(20).optional(),
      s: z.string().max(128).optional(),
    }),
  },
  responses: { ...mediaResponses, ...errors(400, 403, 404) },
});

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); null when absent or not a byte range we serve (the whole file then). */
export function parseRange(header: string | undefined, size: number): { offset: number; length: number } | "unsatisfiable" | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return null;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { offset: start, length: end - start + 1 };
}

/** RFC 6266: an ASCII fallback plus the UTF-8 name. */
function disposition(filename: string) {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

async function serve(c: Context<AppEnv>, row: MediaRow) {
  const media = assertStored(row);
  const range = parseRange(c.req.header("range"), media.bytes);
  const headers: Record<string, string> = {
    "content-type": media.mimeType,
    "content-disposition": disposition(media.filename?.trim() || `${media.messageId}`),
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=300",
    "x-content-type-options": "nosniff",
    // A stored file is never a page of this origin: no scripts even if someone managed to store HTML.
    "content-security-policy": "default-src 'none'; media-src 'self'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
    ...(media.sha256 ? { etag: `"${media.sha256}"` } : {}),
  };
  if (range === "unsatisfiable") {
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${media.bytes}` } });
  }
  const object = await c.env.DOCUMENTS.get(media.storageKey, range ? { range } : {});
  if (!object) throw new AppError("not_found", `The media of message ${media.messageId} is missing from storage`);
  if (range) {
    headers["content-range"] = `bytes ${range.offset}-${range.offset + range.length - 1}/${media.bytes}`;
    headers["content-length"] = String(range.length);
    return new Response(object.body, { status: 206, headers });
  }
  headers["content-length"] = String(media.bytes);
  return new Response(object.body, { status: 200, headers });
}

export const mediaRoutes = createRouter()
  .openapi(stream, async (c) => serve(c, await mediaOfMessage(c.var.svc, c.req.valid("param").messageId)) as never)
  .openapi(...verbRoute(messageMediaUrlVerb, { method: "get", path: "/messages/{messageId}/media/url", tags }));

/** Mounted at the root: the signature is the credential, so it sits outside /api/v1's bearer authentication. */
export const signedMediaRoutes = createRouter().openapi(signed, async (c) => {
  const { messageId } = c.req.valid("param");
  const scope = await verifyMediaSignature(c.var.config.JWT_SECRET, messageId, c.req.valid("query"));
  const svc = createServiceContext(c.var.db, { ...scope, role: "readonly", actor: { type: "system", id: "signed-media-url" } }, c.var.log);
  return serve(c, await mediaOfMessage(svc, messageId)) as never;
});
