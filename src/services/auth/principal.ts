import type { roleEnum } from "../../db/schema/enums";

export type Role = (typeof roleEnum.enumValues)[number];

/** Who is calling, resolved once per request from a JWT or an API key, and for which tenant/project. */
export interface Principal {
  tenantId: string;
  projectId: string;
  role: Role;
  actor: { type: "user" | "api_key" | "system"; id: string };
}
