export type Role = "admin" | "manager" | "user" | "readonly";

/** Who is calling, resolved once per request from a JWT or an API key, and for which tenant/project. */
export interface Principal {
  tenantId: string;
  projectId: string;
  role: Role;
  actor: { type: "user" | "api_key" | "system"; id: string };
}
