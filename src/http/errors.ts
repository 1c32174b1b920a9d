import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { AppError, isAppError, normalizeError } from "../lib/errors";
import type { AppEnv } from "./context";

/** Renders any thrown value as `{ error: { code, message, details?, requestId } }`. */
export function renderError(err: unknown, c: Context<AppEnv>) {
  const appError = toAppError(err);
  if (appError.status >= 500) c.var.log?.error("request failed", { err, code: appError.code });
  else c.var.log?.info("request rejected", { code: appError.code, message: appError.message });
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

export function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new AppError("payload_too_large", "Request body is too large");
    if (err.status === 400) return new AppError("invalid_request", err.message || "Malformed request");
    if (err.status === 401) return new AppError("unauthorized", err.message || "Authentication required");
  }
  if (err instanceof SyntaxError) return new AppError("invalid_request", "Request body is not valid JSON");
  return normalizeError(err);
}
