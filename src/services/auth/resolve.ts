import { and, eq, gt, isNull, or } from "drizzle-orm";
import { type Database, schema } from "../../db";
import { sha256Hex } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { API_KEY_PREFIX } from "../api-keys/create";
import { AGENT_TOKEN_PREFIX, verifyAgentToken } from "./agent-token";
import { type CachedApiKey, cacheApiKey, cachedApiKey } from "./api-key-cache";
import type { Principal } from "./principal";
import { verifyAccessToken } from "./tokens";

const LAST_USED_PRECISION_MS = 60_000;

export interface Resolved {
  principal: Principal;
  /** Work to finish after the response (e.g. the API key's last-used timestamp). */
  background?: Promise<unknown>;
}

/** Resolves `Authorization: Bearer …` — an API key (`vtr_…`) or a JWT access token — into a principal. */
export async function resolvePrincipal(db: Database, jwtSecret: string, authorization: string | undefined): Promise<Resolved> {
  const match = authorization?.match(/^Bearer\s+(\S+)\s*$/i);
  if (!match) throw new AppError("unauthorized", "Missing bearer token (Authorization: Bearer <token or API key>)");
  const token = match[1]!;
  if (token.startsWith(AGENT_TOKEN_PREFIX)) return { principal: await verifyAgentToken(jwtSecret, token) };
  if (!token.startsWith(API_KEY_PREFIX)) return { principal: await verifyAccessToken(jwtSecret, token) };

  const now = new Date();
  const hash = await sha256Hex(token);
  const key = cachedApiKey(hash, now.getTime()) ?? (await lookUpApiKey(db, hash, now));
  if (!key) throw new AppError("unauthorized", "Invalid, revoked or expired API key");
  // Last use is recorded at most once a minute: a write per request would double the cost of every API call.
  const stale = !key.lastUsedAt || now.getTime() - key.lastUsedAt.getTime() > LAST_USED_PRECISION_MS;
  cacheApiKey(hash, stale ? { ...key, lastUsedAt: now } : key, now.getTime());
  return {
    principal: {
      tenantId: key.tenantId,
      projectId: key.projectId,
      role: key.role,
      actor: { type: "api_key", id: key.id },
      ...(key.expiresAt ? { expiresAt: key.expiresAt.getTime() } : {}),
    },
    background: stale ? db.query.update(schema.apiKeys).set({ lastUsedAt: now }).where(eq(schema.apiKeys.id, key.id)) : undefined,
  };
}

async function lookUpApiKey(db: Database, hash: string, now: Date): Promise<CachedApiKey | undefined> {
  const [key] = await db.query
    .select({
      id: schema.apiKeys.id,
      tenantId: schema.apiKeys.tenantId,
      projectId: schema.apiKeys.projectId,
      role: schema.apiKeys.role,
      lastUsedAt: schema.apiKeys.lastUsedAt,
      expiresAt: schema.apiKeys.expiresAt,
    })
    .from(schema.apiKeys)
    .where(
      and(
        eq(schema.apiKeys.keyHash, hash),
        isNull(schema.apiKeys.revokedAt),
        or(isNull(schema.apiKeys.expiresAt), gt(schema.apiKeys.expiresAt, now)),
      ),
    );
  return key;
}
