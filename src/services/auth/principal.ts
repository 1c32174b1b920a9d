import { z } from "zod";
import { type actorTypeEnum, roleEnum } from "../../db/schema/enums";

/** A role, as every schema that states one (members, API keys, tokens) states it: the database enum's values. */
export const Role = z.enum(roleEnum.enumValues);
export type Role = z.infer<typeof Role>;

/**
 * The actors that call the API: the database's actor types minus `contact` (history only). `agent` is an AI agent
 * during one execution (its id is the execution id; see agent-token.ts).
 */
export type CallerType = Extract<(typeof actorTypeEnum.enumValues)[number], "user" | "api_key" | "system" | "agent">;

/** Who is calling, resolved once per request from a JWT or an API key, and for which tenant/project. */
export interface Principal {
  tenantId: string;
  projectId: string;
  role: Role;
  actor: { type: CallerType; id: string };
  /**
   * When the credential stops being valid (epoch ms): the access token's `exp`, an API key's `expires_at`.
   * Absent for credentials without expiry. Long-lived uses of the principal (WebSockets) end there.
   */
  expiresAt?: number;
}
