import { sign, verify } from "hono/jwt";
import { roleEnum } from "../../db/schema/enums";
import { AppError } from "../../lib/errors";
import type { Principal, Role } from "./principal";

export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;
const ISSUER = "ventros-crm";

interface AccessClaims {
  sub: string;
  tid: string;
  pid: string;
  role: Role;
  typ: "access";
  iss: string;
  iat: number;
  exp: number;
}

export async function issueAccessToken(secret: string, p: { userId: string; tenantId: string; projectId: string; role: Role }) {
  const now = Math.floor(Date.now() / 1000);
  const claims: AccessClaims = {
    sub: p.userId,
    tid: p.tenantId,
    pid: p.projectId,
    role: p.role,
    typ: "access",
    iss: ISSUER,
    iat: now,
    exp: now + ACCESS_TOKEN_TTL_SECONDS,
  };
  return sign({ ...claims }, secret, "HS256");
}

const ROLES = new Set<Role>(roleEnum.enumValues);

/** Any failure (bad signature, expired, wrong algorithm, malformed) is the same 401 to the caller. */
export async function verifyAccessToken(secret: string, token: string): Promise<Principal> {
  let claims: Partial<AccessClaims>;
  try {
    claims = (await verify(token, secret, "HS256")) as Partial<AccessClaims>;
  } catch (err) {
    const expired = (err as Error)?.name === "JwtTokenExpired";
    throw new AppError("unauthorized", expired ? "Access token expired" : "Invalid access token");
  }
  if (
    claims.typ !== "access" ||
    claims.iss !== ISSUER ||
    !claims.sub ||
    !claims.tid ||
    !claims.pid ||
    !claims.role ||
    !ROLES.has(claims.role)
  ) {
    throw new AppError("unauthorized", "Invalid access token");
  }
  return { tenantId: claims.tid, projectId: claims.pid, role: claims.role, actor: { type: "user", id: claims.sub } };
}
