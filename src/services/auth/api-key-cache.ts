import type { Role } from "./principal";

/**
 * API keys this isolate has verified recently, by key hash. A cached key costs no database round trip: an agent's MCP
 * call or a memory search then runs in one. The price is bounded staleness: an isolate that has not seen a revocation
 * keeps accepting the key for at most API_KEY_CACHE_TTL_MS (the isolate that revoked it forgets it at once). Expiry is
 * still checked on every use. Only valid keys are cached.
 */
export const API_KEY_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 1_000;

export interface CachedApiKey {
  id: string;
  tenantId: string;
  projectId: string;
  role: Role;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

const entries = new Map<string, { key: CachedApiKey; cachedAt: number }>();

export function cachedApiKey(hash: string, now: number): CachedApiKey | undefined {
  const hit = entries.get(hash);
  if (!hit) return undefined;
  if (now - hit.cachedAt > API_KEY_CACHE_TTL_MS || (hit.key.expiresAt && hit.key.expiresAt.getTime() <= now)) {
    entries.delete(hash);
    return undefined;
  }
  return hit.key;
}

export function cacheApiKey(hash: string, key: CachedApiKey, now: number) {
  entries.delete(hash);
  // Map keeps insertion order: the first entry is the oldest.
  if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  entries.set(hash, { key, cachedAt: now });
}

/** Called where a key stops being valid (revocation), so this isolate never serves it again. */
export function forgetApiKey(id: string) {
  for (const [hash, { key }] of entries) if (key.id === id) entries.delete(hash);
}
