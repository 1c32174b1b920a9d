import { AppError } from "../../lib/errors";
import type { Principal, Role } from "./principal";

/**
 * The permission matrix. `readonly` never mutates; `user` works conversations and contacts (and, where a service
 * says so, only those assigned to them); `manager` also shapes the workspace (pipelines, agents, lists, tags);
 * `admin` also manages people, keys, channels, projects and billing.
 */
export const PERMISSIONS = {
  "crm:read": ["admin", "manager", "user", "readonly"],
  "contacts:write": ["admin", "manager", "user"],
  "contacts:delete": ["admin", "manager"],
  "notes:write": ["admin", "manager", "user"],
  "documents:write": ["admin", "manager", "user"],
  "documents:delete": ["admin", "manager"],
  "messages:send": ["admin", "manager", "user"],
  "sessions:write": ["admin", "manager", "user"],
  "tags:assign": ["admin", "manager", "user"],
  "stages:move": ["admin", "manager", "user"],
  "tags:manage": ["admin", "manager"],
  "pipelines:manage": ["admin", "manager"],
  "agents:manage": ["admin", "manager"],
  "lists:manage": ["admin", "manager"],
  "members:read": ["admin", "manager"],
  "members:manage": ["admin"],
  "api_keys:manage": ["admin"],
  "channels:manage": ["admin"],
  "projects:manage": ["admin"],
  "billing:manage": ["admin"],
  "ops:manage": ["admin"],
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

export function can(role: Role, permission: Permission): boolean {
  return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

export function authorize(principal: Principal, permission: Permission): void {
  if (!can(principal.role, permission)) {
    throw new AppError("forbidden", `Role '${principal.role}' may not ${permission.replace(":", " ")}`, {
      permission,
      role: principal.role,
    });
  }
}
