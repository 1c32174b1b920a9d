import { sign, verify } from "hono/jwt";
import { AppError } from "../../lib/errors";
import type { Principal } from "./principal";

/**
 * Per-execution credentials for an AI agent's MCP calls back into the CRM: an HS256 token signed with JWT_SECRET,
 * carrying the tenant, the project and the execution id, valid only while the execution may run (its timeout plus a
 * margin). Nothing is stored or minted in the database; the execution id becomes the principal's actor id, so every
 * tool call the agent makes is recorded against its execution.
 */
export const AGENT_TOKEN_PREFIX = "vtx_";
const ISSUER = "ventros-crm";
/** The role an AI agent acts with: it works contacts and conversations, never people, keys or billing. */
export const AGENT_ROLE = "manager" as const;
/** Tool calls may still arrive while the service winds down after its own deadline. */
const MARGIN_SECONDS = 30;
const MAX_LIFETIME_SECONDS = 15 * 60;

interface AgentClaims {
  typ: "agent_execution";
  iss: string;
  tid: string;
  pid: string;
  xid: string;
  iat: number;
  exp: number;
}

export async function issueAgentToken(
  secret: string,
  p: { tenantId: string; projectId: string; executionId: string; timeoutSeconds: number; now?: number },
): Promise<string> {
  const iat = Math.floor((p.now ?? Date.now()) / 1000);
  const lifetime = Math.min(p.timeoutSeconds + MARGIN_SECONDS, MAX_LIFETIME_SECONDS);
  const claims: AgentClaims = {
    typ: "agent_execution",
    iss: ISSUER,
    tid: p.tenantId,
    pid: p.projectId,
    xid: p.executionId,
    iat,
    exp: iat + lifetime,
  };
  return AGENT_TOKEN_PREFIX + (await sign({ ...claims }, secret, "HS256"));
}

export async function verifyAgentToken(secret: string, token: string): Promise<Principal> {
  let claims: Partial<AgentClaims>;
  try {
    claims = (await verify(token.slice(AGENT_TOKEN_PREFIX.length), secret, "HS256")) as Partial<AgentClaims>;
  } catch (err) {
    const expired = (err as Error)?.name === "JwtTokenExpired";
    throw new AppError("unauthorized", expired ? "Agent execution token expired" : "Invalid agent execution token");
  }
  const now = Math.floor(Date.now() / 1000);
  if (
    claims.typ !== "agent_execution" ||
    claims.iss !== ISSUER ||
    !claims.tid ||
    !claims.pid ||
    !claims.xid ||
    typeof claims.exp !== "number" ||
    typeof claims.iat !== "number" ||
    claims.exp - claims.iat > MAX_LIFETIME_SECONDS ||
    claims.exp <= now
  ) {
    throw new AppError("unauthorized", "Invalid agent execution token");
  }
  return {
    tenantId: claims.tid,
    projectId: claims.pid,
    role: AGENT_ROLE,
    actor: { type: "agent", id: claims.xid },
    expiresAt: claims.exp * 1000,
  };
}
