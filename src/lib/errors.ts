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

/**
 * What each data exception (SQLSTATE class 22) and program limit (class 54) tells the caller. The messages are
 * ours: Postgres' own text can quote the rejected value, and the driver's wraps the SQL and its parameters —
 * neither may reach a response.
 */
const DATA_EXCEPTIONS: Record<string, string> = {
  "22001": "A value is too long for its field",
  "22003": "A number is out of range",
  "22004": "A required value is null",
  "22007": "A date or time has an invalid format",
  "22008": "A date or time is out of range",
  "22009": "A time zone offset is invalid",
  "22012": "A value causes a division by zero",
  "22019": "A pattern has an invalid escape character",
  "22021": "Text contains a character that cannot be stored (such as NUL, or invalid UTF-8)",
  "22023": "A parameter value is invalid",
  "22025": "A pattern has an invalid escape sequence",
  "22030": "A JSON object has a duplicate key",
  "22032": "A value is not valid JSON",
  "22P02": "A value has an invalid format",
  "22P05": "Text contains a character that cannot be stored (such as \\u0000, or an unpaired surrogate)",
  "54000": "A value is too large or too complex to store",
  "54001": "A value is nested too deeply or is too complex to process",
  "54011": "The request involves too many columns",
  "54023": "The request passes too many arguments",
};

/** The SQLSTATE of a database error, whether the driver threw it or the ORM wrapped it (`cause`). */
function sqlState(err: unknown): string | undefined {
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** True when a database error is a unique-constraint violation (SQLSTATE 23505), optionally on the named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  if (sqlState(err) !== "23505") return false;
  if (!constraint) return true;
  for (let e = err, depth = 0; e && typeof e === "object" && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { constraint?: unknown }).constraint === constraint) return true;
  }
  return false;
}

/** Postgres SQLSTATEs that are the caller's fault, translated so they never surface as a 500. */
export function fromDatabaseError(err: unknown): AppError | undefined {
  const code = sqlState(err);
  if (!code) return undefined;
  const source = (err as { cause?: unknown })?.cause ?? err;
  const { constraint, column } = source as { constraint?: string; column?: string };
  switch (code) {
    case "23505":
      return new AppError("conflict", "A resource with the same unique value already exists", { constraint });
    case "23503":
      return new AppError("unprocessable", "A referenced resource does not exist", { constraint });
  }
  // Class 22 (data exception) and class 54 (program limit exceeded): the value the caller sent cannot be stored or
  // compared as given. Whatever the subclass, that is a 400 — never a 500.
  if (code.startsWith("22") || code.startsWith("54")) {
    const message =
      DATA_EXCEPTIONS[code] ?? (code.startsWith("22") ? "A value is invalid for its field" : "The request exceeds a database limit");
    const field = typeof column === "string" && column ? toCamel(column) : undefined;
    return new AppError(
      "invalid_request",
      field ? `${message} (${field})` : message,
      [{ ...(field ? { path: field } : {}), message, sqlstate: code }],
      { cause: err },
    );
  }
  return undefined;
}

const toCamel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** Any thrown value as an AppError: known ones as they are, database errors translated, the rest internal. */
export function normalizeError(err: unknown): AppError {
  if (isAppError(err)) return err;
  // An AppError the database layer threw (e.g. `unavailable`) inside a query the ORM wrapped.
  if (isAppError((err as { cause?: unknown })?.cause)) return (err as { cause: AppError }).cause;
  return fromDatabaseError(err) ?? new AppError("internal", "Internal server error", undefined, { cause: err });
}
