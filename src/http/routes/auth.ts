import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { issueTokenPair, login, logout, refresh } from "../../services/auth/login";
import { Role } from "../../services/auth/principal";
import { acceptInvitationWithNewAccount, InvitationToken, NewAccountInput } from "../../services/members/invitations";
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
    role: Role,
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

const acceptInvitationRoute = createRoute({
  method: "post",
  path: "/invitations/{token}/accept",
  tags: ["Auth"],
  summary: "Accept an invitation by creating the invited address's account (name and password); answers a login",
  description:
    "For an address without an account. An address that has one answers 409: log in and accept with " +
    "POST /api/v1/invitations/{token}/accept.",
  request: {
    params: z.object({ token: InvitationToken }),
    body: jsonBody(NewAccountInput),
  },
  responses: { 201: json(TokenPair, "Account created, member of the project, logged in"), ...errors(400, 404, 409, 429) },
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
  .openapi(acceptInvitationRoute, async (c) => {
    // Creating an account costs a PBKDF2: the same per-address cap as logins.
    const client = c.req.header("cf-connecting-ip") ?? "unknown";
    const { success } = await c.env.LOGIN_LIMITER.limit({ key: `${client}:invitation:${c.req.valid("param").token.slice(0, 36)}` });
    if (!success) {
      c.header("Retry-After", "60");
      throw new AppError("rate_limited", "Too many attempts; try again in a minute");
    }
    const secret = c.var.config.JWT_SECRET;
    const accepted = await acceptInvitationWithNewAccount(c.var.db, secret, c.req.valid("param").token, c.req.valid("json"));
    c.var.committedEvents.push(...accepted.outboxIds.map((id) => ({ id })));
    return c.json(await issueTokenPair(c.var.db, secret, accepted.user, accepted.membership, uuidv7()), 201);
  })
  .openapi(refreshRoute, async (c) => c.json(await refresh(c.var.db, c.var.config.JWT_SECRET, c.req.valid("json").refreshToken), 200))
  .openapi(logoutRoute, async (c) => {
    await logout(c.var.db, c.req.valid("json").refreshToken, c.var.principal.actor.id);
    return c.body(null, 204);
  });
