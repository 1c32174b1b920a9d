import { describe, expect, it } from "vitest";
import { API_KEY_CACHE_TTL_MS, type CachedApiKey, cacheApiKey, cachedApiKey, forgetApiKey } from "../../src/services/auth/api-key-cache";

const key = (id: string, expiresAt: Date | null = null): CachedApiKey => ({
  id,
  tenantId: "t",
  projectId: "p",
  role: "user",
  lastUsedAt: null,
  expiresAt,
});

// Time is passed in, never waited for.
describe("API key cache (per isolate)", () => {
  it("serves a verified key until its time to live ends, then asks the database again", () => {
    cacheApiKey("h-ttl", key("k-ttl"), 1_000);
    expect(cachedApiKey("h-ttl", 1_000 + API_KEY_CACHE_TTL_MS)?.id).toBe("k-ttl");
    expect(cachedApiKey("h-ttl", 1_001 + API_KEY_CACHE_TTL_MS)).toBeUndefined();
    // Gone, not merely hidden: a later lookup within the old window misses too.
    expect(cachedApiKey("h-ttl", 2_000)).toBeUndefined();
  });

  it("never serves a key past its expiry, whatever the time to live says", () => {
    cacheApiKey("h-exp", key("k-exp", new Date(5_000)), 1_000);
    expect(cachedApiKey("h-exp", 4_999)?.id).toBe("k-exp");
    expect(cachedApiKey("h-exp", 5_000)).toBeUndefined();
  });

  it("forgets a revoked key at once, under every hash it was cached with", () => {
    cacheApiKey("h-rev", key("k-rev"), 1_000);
    cacheApiKey("h-other", key("k-other"), 1_000);
    forgetApiKey("k-rev");
    expect(cachedApiKey("h-rev", 1_001)).toBeUndefined();
    expect(cachedApiKey("h-other", 1_001)?.id).toBe("k-other");
  });

  it("stays bounded: the oldest entries go first", () => {
    for (let i = 0; i < 1_001; i++) cacheApiKey(`h-bound-${i}`, key(`k-bound-${i}`), 1_000);
    expect(cachedApiKey("h-bound-0", 1_001)).toBeUndefined();
    expect(cachedApiKey("h-bound-1000", 1_001)?.id).toBe("k-bound-1000");
  });
});
