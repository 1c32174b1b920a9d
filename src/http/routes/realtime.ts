import { Hono } from "hono";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { authorize } from "../../services/auth/permissions";
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
    return stub.fetch(forward(c.req.raw, c.var.principal.actor.id));
  })
  .get("/sessions/:id/realtime", async (c) => {
    requireUpgrade(c.req.header("upgrade"));
    authorize(c.var.principal, "crm:read");
    const session = await findScoped(c.var.svc, schema.sessions, c.req.param("id"), "Session");
    const stub = c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(session.id));
    return stub.fetch(forward(c.req.raw, c.var.principal.actor.id));
  });

function requireUpgrade(upgrade: string | undefined) {
  if (upgrade?.toLowerCase() !== "websocket")
    throw new AppError("invalid_request", "This endpoint only accepts WebSocket upgrades (Upgrade: websocket)");
}

function forward(req: Request, actorId: string) {
  const headers = new Headers(req.headers);
  headers.delete("authorization");
  headers.set("x-ventros-actor", actorId);
  const url = new URL(req.url);
  url.searchParams.delete("access_token");
  return new Request(url, { headers, method: "GET" });
}
