import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, ERROR_CODES, type ErrorCode, isAppError, normalizeError } from "../lib/errors";
import type { AppEnv } from "./context";

/** Every request body this API accepts is JSON. */
export const ACCEPTED_MEDIA_TYPE = "application/json";

/** 415 naming the type to send instead (and, bounded, the one that was sent). */
export function unsupportedMediaType(received?: string | null) {
  const sent = received ? received.slice(0, 100) : undefined;
  return new AppError(
    "unsupported_media_type",
    `Unsupported Content-Type${sent ? ` '${sent}'` : " (none given)"}: send the request body as ${ACCEPTED_MEDIA_TYPE}`,
    { accepted: [ACCEPTED_MEDIA_TYPE], ...(sent ? { received: sent } : {}) },
  );
}

/** Renders any thrown value as `{ error: { code, message, details?, requestId } }`. */
export function renderError(err: unknown, c: Context<AppEnv>) {
  const appError = toAppError(err, c.req.header("content-type"));
  if (appError.status >= 500) c.var.log?.error("request failed", { err, code: appError.code });
  else c.var.log?.info("request rejected", { code: appError.code, message: appError.message });
  // An error that knows when to come back (503 from an unavailable database, 429) says so in Retry-After.
  const retryAfter = (appError.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
  if (typeof retryAfter === "number") c.header("Retry-After", String(retryAfter));
  return c.json(
    {
      error: {
        code: appError.code,
        message: appError.message,
        ...(appError.details ? { details: appError.details } : {}),
        requestId: c.var.requestId,
      },
    },
    appError.status,
  );
}

const codeByStatus = new Map<number, ErrorCode>(
  (Object.entries(ERROR_CODES) as [ErrorCode, { status: number }][]).map(([code, { status }]) => [status, code]),
);

/**
 * Any thrown value as an AppError. Hono and zod-openapi throw HTTPException for what they refuse before a handler
 * runs (413 body limit, 400 malformed JSON, 415 media-type gate, …): each status maps to its code, never to a 500.
 */
export function toAppError(err: unknown, contentType?: string | null): AppError {
  if (isAppError(err)) return err;
  if (err instanceof HTTPException) {
    const status = err.status;
    if (status === 415) return unsupportedMediaType(contentType);
    if (status === 413) return new AppError("payload_too_large", "Request body is too large");
    if (status === 400) return new AppError("invalid_request", err.message || "Malformed request");
    if (status === 401) return new AppError("unauthorized", err.message || "Authentication required");
    const code = codeByStatus.get(status);
    if (code && status < 500) return new AppError(code, err.message || code);
    if (status >= 400 && status < 500) return new AppError("invalid_request", err.message || "Invalid request");
  }
  if (err instanceof SyntaxError) return new AppError("invalid_request", "Request body is not valid JSON");
  return normalizeError(err);
}
