import { createMiddleware } from "hono/factory";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../context";
import { unsupportedMediaType } from "../errors";
import { MAX_JSON_DEPTH, scanJson } from "./json-scan";
import { readBounded } from "./read-bounded";

export interface BodyRule {
  /** Path prefix the rule applies to; the first matching rule wins. */
  prefix: string;
  maxBytes: number;
  /**
   * "strict" (callers of the API): the body must be labelled JSON (else 415) and be UTF-8, and every string in it
   * storable — no NUL, no unpaired surrogate — with no overflowing number and no `__proto__` key.
   * "structure" (signed webhooks): any label, only size and depth are checked here — the handler verifies the
   * signature first and then acknowledges an unprocessable event as rejected, so its peer does not retry it forever.
   * "multipart" (file uploads): only the size is checked here — the route (after authentication) requires a
   * multipart/form-data label, and the service checks the file itself.
   */
  mode: "strict" | "structure" | "multipart";
  /** Only this exact path (not the paths under it). */
  exact?: boolean;
}

/** The media types JSON bodies may be sent as (the same test zod-openapi's validators apply). */
export const JSON_MEDIA_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
const lenientUtf8 = new TextDecoder("utf-8");

/**
 * Every request passes here before any route, validator or handler sees it, on every surface (REST, both MCP
 * surfaces, webhooks, and whatever is added later): the URL must not carry a NUL, and a body is read at most
 * `maxBytes` (413, with or without Content-Length) and — before anything parses it — scanned for nesting deeper
 * than MAX_JSON_DEPTH and, in strict mode, invalid UTF-8, NUL characters, unpaired surrogates, numbers that
 * overflow and `__proto__` keys (400 `invalid_request` naming the place and the limit). The checked bytes are
 * handed on unchanged, so signatures over the raw body (webhook HMACs) still verify.
 */
export function bodyGuard(rules: BodyRule[], fallback: Omit<BodyRule, "prefix">) {
  return createMiddleware<AppEnv>(async (c, next) => {
    checkUrl(c.req.url);
    const req = c.req.raw;
    if (req.body === null || req.method === "GET" || req.method === "HEAD") return next();
    const rule = rules.find((r) => (r.exact ? c.req.path === r.prefix : c.req.path.startsWith(r.prefix))) ?? fallback;
    const strict = rule.mode === "strict";
    const contentType = req.headers.get("content-type");
    if (strict && contentType && !JSON_MEDIA_TYPE.test(contentType)) throw unsupportedMediaType(contentType);

    const bytes = await readBounded(req, rule.maxBytes);
    if (bytes.byteLength > 0 && rule.mode !== "multipart") {
      let text: string;
      try {
        text = (strict ? utf8 : lenientUtf8).decode(bytes);
      } catch {
        throw new AppError("invalid_request", "Request body is not valid UTF-8", [{ path: "", message: "invalid UTF-8 byte sequence" }]);
      }
      const problem = scanJson(text, { maxDepth: MAX_JSON_DEPTH, content: strict });
      if (problem) {
        throw new AppError("invalid_request", `Invalid request body: ${problem.path || "(root)"}: ${problem.message}`, [
          { path: problem.path, message: problem.message, ...(problem.limit !== undefined ? { limit: problem.limit } : {}) },
        ]);
      }
    }
    c.req.raw = new Request(req, { body: bytes });
    await next();
  });
}

/** `%00` decodes to NUL in a path parameter or query value; nothing of this API takes one. */
function checkUrl(url: string) {
  const at = url.search(/%00/i);
  if (at === -1) return;
  const query = url.indexOf("?");
  const part = query !== -1 && at > query ? "query" : "path";
  throw new AppError("invalid_request", `The request ${part} contains a NUL character (%00)`, [
    { path: part, message: "must not contain the NUL character" },
  ]);
}
