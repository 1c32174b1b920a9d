import { createMiddleware } from "hono/factory";
import { authorize, type Permission } from "../../services/auth/permissions";
import type { AppEnv } from "../context";

export const requirePermission = (permission: Permission) =>
  createMiddleware<AppEnv>(async (c, next) => {
    authorize(c.var.principal, permission);
    await next();
  });
