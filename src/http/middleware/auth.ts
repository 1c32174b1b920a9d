import { createMiddleware } from "hono/factory";
import { memoryFor } from "../../bindings/memory";
import { resolvePrincipal } from "../../services/auth/resolve";
import { createServiceContext } from "../../services/context";
import type { AppEnv } from "../context";
import { enforceRateLimit } from "./rate-limit";

/** Resolves the caller once per request; every service call below reads tenant/project/role from it. */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  // WebSocket upgrades from browsers cannot carry headers; only they may pass the token in the query string.
  const queryToken = c.req.header("upgrade")?.toLowerCase() === "websocket" ? c.req.query("access_token") : undefined;
  const authorization = c.req.header("authorization") ?? (queryToken ? `Bearer ${queryToken}` : undefined);
  const { principal, background } = await resolvePrincipal(c.var.db, c.var.config.JWT_SECRET, authorization);
  if (background) c.executionCtx.waitUntil(background.catch((err) => c.var.log.warn("auth background work failed", { err })));
  c.set("principal", principal);
  c.set("log", c.var.log.child({ tenantId: principal.tenantId, projectId: principal.projectId, actor: principal.actor.id }));
  c.set("svc", {
    ...createServiceContext(c.var.db, principal, c.var.log, c.var.config.PUBLIC_BASE_URL),
    signingSecret: c.var.config.JWT_SECRET,
    memory: memoryFor(c.var.config, c.env),
  });
  await enforceRateLimit(c);
  await next();
});
