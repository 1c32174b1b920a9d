import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../../lib/errors";
import { login, logout, refresh } from "../../services/auth/login";
import { requireAuth } from "../middleware/auth";
import { errors, json, jsonBody, security } from "../openapi";
import { createRouter } from "../router";

const TokenPair = z
  .object({
    accessToken: z.string(),
    refreshToken: z.string(),
    tokenType: z.literal("Bearer"),
    expiresIn: z.number().int(),
    user: z.object({ id: z.string(), email: z.string(), name: z.string() }),
    tenantId: z.string(),
    projectId: z.string(),
    role: z.enum(["admin", "manager", "user", "readonly"]),
  })
  .openapi("TokenPair");

const LoginBody = z.object({
  email: z.email().max(320),
  password: z.string().min(1).max(1000),
  projectId: z.uuid().optional(),
});

const RefreshBody = z.object({ refreshToken: z.string().min(10).max(200) });

const loginRoute = createRoute({
  method: "post",
  path: "/login",
  tags: ["Auth"],
  summary: "Exchange email + password for an access token (15 min) and a rotating refresh token",
  request: { body: jsonBody(LoginBody) },
  responses: { 200: json(TokenPair, "Tokens"), ...errors(400, 401, 403, 429) },
});

const refreshRoute = createRoute({
  method: "post",
  path: "/refresh",
  tags: ["Auth"],
  summary: "Rotate a refresh token; reusing a rotated token revokes the whole login",
  request: { body: jsonBody(RefreshBody) },
  responses: { 200: json(TokenPair, "New tokens"), ...errors(400, 401) },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/logout",
  tags: ["Auth"],
  summary: "Revoke the refresh token's login (access tokens expire on their own within 15 minutes)",
  security,
  middleware: [requireAuth],
  request: { body: jsonBody(RefreshBody) },
  responses: { 204: { description: "Revoked" }, ...errors(400, 401, 404) },
});

export const authRoutes = createRouter()
  .openapi(loginRoute, async (c) => {
    const body = c.req.valid("json");
    // Guessing passwords costs a PBKDF2 per try on our side: cap tries per client address and account.
    const client = c.req.header("cf-connecting-ip") ?? "unknown";
    const { success } = await c.env.LOGIN_LIMITER.limit({ key: `${client}:${body.email.toLowerCase()}` });
    if (!success) {
      c.header("Retry-After", "60");
      throw new AppError("rate_limited", "Too many login attempts; try again in a minute");
    }
    return c.json(await login(c.var.db, c.var.config.JWT_SECRET, body), 200);
  })
  .openapi(refreshRoute, async (c) => c.json(await refresh(c.var.db, c.var.config.JWT_SECRET, c.req.valid("json").refreshToken), 200))
  .openapi(logoutRoute, async (c) => {
    await logout(c.var.db, c.req.valid("json").refreshToken, c.var.principal.actor.id);
    return c.body(null, 204);
  });
