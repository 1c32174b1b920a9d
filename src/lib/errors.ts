/**
 * The one error type of the application. Services throw it; each transport renders it its own way
 * (REST: status + JSON body, MCP: tool error result / JSON-RPC error, Connect: Code).
 */
export const ERROR_CODES = {
  invalid_request: { status: 400, connect: "invalid_argument" },
  unauthorized: { status: 401, connect: "unauthenticated" },
  forbidden: { status: 403, connect: "permission_denied" },
  not_found: { status: 404, connect: "not_found" },
  method_not_allowed: { status: 405, connect: "unimplemented" },
  conflict: { status: 409, connect: "already_exists" },
  payload_too_large: { status: 413, connect: "resource_exhausted" },
  unsupported_media_type: { status: 415, connect: "invalid_argument" },
  unprocessable: { status: 422, connect: "failed_precondition" },
  rate_limited: { status: 429, connect: "resource_exhausted" },
  internal: { status: 500, connect: "internal" },
  bad_gateway: { status: 502, connect: "unavailable" },
  unavailable: { status: 503, connect: "unavailable" },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type HttpErrorStatus = (typeof ERROR_CODES)[ErrorCode]["status"];

export interface ErrorDetail {
  path?: string;
  message: string;
  [key: string]: unknown;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[] | Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "AppError";
  }

  get status(): HttpErrorStatus {
    return ERROR_CODES[this.code].status;
  }

  static notFound(resource: string, id?: string) {
    return new AppError("not_found", id ? `${resource} ${id} was not found` : `${resource} was not found`, {
      resource,
      ...(id ? { id } : {}),
    });
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;

/** Postgres SQLSTATEs that are the caller's fault, translated so they never surface as a 500. */
export function fromDatabaseError(err: unknown): AppError | undefined {
  const code = (err as { code?: string } | undefined)?.code ?? (err as { cause?: { code?: string } })?.cause?.code;
  const source = (err as { cause?: unknown })?.cause ?? err;
  const constraint = (source as { constraint?: string }).constraint;
  switch (code) {
    case "23505":
      return new AppError("conflict", "A resource with the same unique value already exists", { constraint });
    case "23503":
      return new AppError("unprocessable", "A referenced resource does not exist", { constraint });
    case "22P02":
    case "22007":
    case "22008":
    case "22003":
      return new AppError("invalid_request", "A value has an invalid format");
    default:
      return undefined;
  }
}

/** Any thrown value as an AppError: known ones as they are, database errors translated, the rest internal. */
export function normalizeError(err: unknown): AppError {
  if (isAppError(err)) return err;
  return fromDatabaseError(err) ?? new AppError("internal", "Internal server error", undefined, { cause: err });
}
