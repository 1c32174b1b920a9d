import { createRoute, type RouteConfig, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { ERROR_CODES } from "../lib/errors";
import type { Permission } from "../services/auth/permissions";
import { requirePermission } from "./middleware/permission";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_CODES) as [keyof typeof ERROR_CODES, ...(keyof typeof ERROR_CODES)[]]),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .openapi("Error");

const errorDescriptions = {
  400: "Invalid request (malformed JSON, failed validation, bad cursor)",
  401: "Missing, invalid or expired credentials",
  403: "The caller's role does not allow this",
  404: "Not found (including resources of other tenants)",
  409: "Conflicts with existing data (duplicate unique value, reused Idempotency-Key)",
  413: "Request body too large",
  415: "Unsupported media type (the accepted types are named in the error's details)",
  422: "Valid JSON that breaks a business rule (unknown referenced resource, …)",
  429: "Rate limit exceeded (per API key or user, and per tenant); see Retry-After and RateLimit",
} as const;

export type ErrorStatus = keyof typeof errorDescriptions;

/** The error responses a route can produce, documented with the shared error shape. */
export function errors(...statuses: ErrorStatus[]) {
  return Object.fromEntries(
    statuses.map((s) => [s, { description: errorDescriptions[s], content: { "application/json": { schema: ErrorSchema } } }]),
  ) as { [K in ErrorStatus]: { description: string; content: { "application/json": { schema: typeof ErrorSchema } } } };
}

export const authErrors = () => errors(400, 401, 403, 404, 429);

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const security = [{ bearerAuth: [] }];

export const noContent = { description: "Done" } as const;

/**
 * A route that needs a principal with `permission`. The check runs as route middleware — before body validation,
 * so a forbidden caller learns nothing about the payload — and is published in the OpenAPI document as
 * `x-permission` (the security tests read it back to try every route with every role).
 */
export function authedRoute<const R extends Omit<RouteConfig, "security" | "middleware">>(
  permission: Permission,
  config: R,
  /** Checks that belong after the permission and before body validation (e.g. the body's media type). */
  ...before: MiddlewareHandler[]
) {
  return createRoute({
    ...config,
    security,
    middleware: [requirePermission(permission), ...before],
    "x-permission": permission,
  } as unknown as R & { security: typeof security; middleware: [ReturnType<typeof requirePermission>] });
}
