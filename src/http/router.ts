import { OpenAPIHono } from "@hono/zod-openapi";
import { AppError } from "../lib/errors";
import type { AppEnv } from "./context";

/**
 * Every router is built here so that they all share the validation hook: zod-openapi does not inherit
 * `defaultHook` into sub-apps, and a router built elsewhere would answer bad input with its own format.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new AppError(
          "invalid_request",
          `Invalid ${result.target}: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
          result.error.issues.map((i) => ({ path: i.path.join("."), message: i.message, code: i.code })),
        );
      }
    },
  });
}
