import { Hono } from "hono";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { FORWARDED } from "../../realtime/protocol";
import { authorize } from "../../services/auth/permissions";
import type { Principal } from "../../services/auth/principal";
import { findScoped } from "../../services/shared/crud";
import type { AppEnv } from "../context";

/**
 * WebSocket endpoints (not in the OpenAPI document: they are upgrades, not JSON). Browsers cannot set headers on
 * a WebSocket, so the token may also come as `?access_token=`; it is checked here, before the upgrade reaches the
 * Durable Object. `?since=<seq>` resumes after the last event the client saw.
 */
export const realtimeRoutes = new Hono<AppEnv>()
  .get("/realtime", async (c) => {
    requireUpgrade(c.req.header("upgrade"));
    authorize(c.var.principal, "crm:read");
    const stub = c.env.PROJECT_FEED.get(c.env.PROJECT_FEED.idFromName(c.var.principal.projectId));
    return stub.fetch(forward(c.req.raw, c.var.principal));
  })
  .get("/sessions/:id/realtime", async (c) => {
    requireUpgrade(c.req.header("upgrade"));
    authorize(c.var.principal, "crm:read");
    const session = await findScoped(c.var.svc, schema.sessions, c.req.param("id"), "Session");
    const stub = c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(session.id));
    return stub.fetch(forward(c.req.raw, c.var.principal));
  });

function requireUpgrade(upgrade: string | undefined) {
  if (upgrade?.toLowerCase() !== "websocket")
    throw new AppError("invalid_request", "This endpoint only accepts WebSocket upgrades (Upgrade: websocket)");
}

/**
 * The upgrade as the stream receives it: without the credential, with who the caller is and until when the
 * credential is valid (the stream closes the socket then, and re-checks revocation before sends).
 */
function forward(req: Request, principal: Principal) {
  const headers = new Headers(req.headers);
  headers.delete("authorization");
  for (const name of Object.values(FORWARDED)) headers.delete(name);
  headers.set(FORWARDED.actor, principal.actor.id);
  headers.set(FORWARDED.actorType, principal.actor.type);
  headers.set(FORWARDED.projectId, principal.projectId);
  if (principal.expiresAt !== undefined) headers.set(FORWARDED.expiresAt, String(principal.expiresAt));
  const url = new URL(req.url);
  url.searchParams.delete("access_token");
  return new Request(url, { headers, method: "GET" });
}
