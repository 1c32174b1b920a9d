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
/** Tolerated clock difference between the issuer and this isolate. */
const CLOCK_SKEW_SECONDS = 60;

/**
 * Any failure (bad signature, expired, wrong algorithm, malformed) is the same 401 to the caller. A token must say
 * when it was issued and when it expires, and live no longer than this service issues them for: a token signed
 * without `exp` (or with a far-future one) would otherwise never expire.
 */
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
  const now = Math.floor(Date.now() / 1000);
  const { exp, iat } = claims;
  if (typeof exp !== "number" || typeof iat !== "number" || !Number.isFinite(exp) || !Number.isFinite(iat)) {
    throw new AppError("unauthorized", "Invalid access token: exp and iat are required");
  }
  if (exp - iat > ACCESS_TOKEN_TTL_SECONDS || exp > now + ACCESS_TOKEN_TTL_SECONDS + CLOCK_SKEW_SECONDS || iat > now + CLOCK_SKEW_SECONDS) {
    throw new AppError("unauthorized", "Invalid access token: lifetime exceeds what this service issues");
  }
  // Checked here too, not only by the JWT library: the principal's expiry bounds long-lived uses (WebSockets).
  if (exp <= now) throw new AppError("unauthorized", "Access token expired");
  return {
    tenantId: claims.tid,
    projectId: claims.pid,
    role: claims.role,
    actor: { type: "user", id: claims.sub },
    expiresAt: exp * 1000,
  };
}
