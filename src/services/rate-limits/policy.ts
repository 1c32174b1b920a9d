import { z } from "zod";

/** Requests per window, per caller (API key or user) and for the whole tenant. */
export interface PlanLimits {
  key: number;
  tenant: number;
  windowSeconds: number;
}

/** Defaults per billing plan (`tenants.plan`); `RATE_LIMITS` (JSON) overrides or adds plans per deployment. */
export const DEFAULT_PLAN_LIMITS: Record<string, PlanLimits> = {
  free: { key: 120, tenant: 600, windowSeconds: 60 },
  pro: { key: 600, tenant: 3_000, windowSeconds: 60 },
  business: { key: 1_200, tenant: 12_000, windowSeconds: 60 },
};

const PlanLimitsSchema = z.object({
  key: z.number().int().positive(),
  tenant: z.number().int().positive(),
  windowSeconds: z.number().int().min(1).max(3600).default(60),
});
export const RateLimitsConfig = z.record(z.string(), PlanLimitsSchema);

export function limitsFor(plan: string | undefined, overrides: Record<string, PlanLimits> = {}): PlanLimits {
  const plans = { ...DEFAULT_PLAN_LIMITS, ...overrides };
  return plans[plan ?? "free"] ?? plans.free ?? DEFAULT_PLAN_LIMITS.free!;
}

export interface PolicyState {
  name: "key" | "tenant";
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until a slot frees up (the oldest counted request leaves the window). */
  resetSeconds: number;
}

export interface RateDecision {
  allowed: boolean;
  policies: PolicyState[];
}

/**
 * Sliding-log limiter: a request is counted in every window it falls in, so there is no burst at window edges and
 * the answer does not depend on where a minute starts. Logs are bounded by the limit.
 */
export class SlidingLog {
  private readonly logs = new Map<string, number[]>();

  check(entries: { name: PolicyState["name"]; key: string; limit: number; windowSeconds: number }[], now: number): RateDecision {
    const states = entries.map((e) => {
      const log = this.prune(e.key, now - e.windowSeconds * 1000);
      const oldest = log[0];
      return {
        entry: e,
        log,
        state: {
          name: e.name,
          limit: e.limit,
          windowSeconds: e.windowSeconds,
          remaining: Math.max(0, e.limit - log.length),
          resetSeconds: oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + e.windowSeconds * 1000 - now) / 1000)),
        } satisfies PolicyState,
      };
    });
    const allowed = states.every((s) => s.state.remaining > 0);
    if (allowed) {
      for (const s of states) {
        s.log.push(now);
        this.logs.set(s.entry.key, s.log);
        s.state.remaining -= 1;
        if (s.state.resetSeconds === 0) s.state.resetSeconds = s.entry.windowSeconds;
      }
    }
    return { allowed, policies: states.map((s) => s.state) };
  }

  private prune(key: string, since: number): number[] {
    const log = this.logs.get(key) ?? [];
    let drop = 0;
    while (drop < log.length && log[drop]! <= since) drop++;
    const kept = drop ? log.slice(drop) : log;
    if (!kept.length) this.logs.delete(key);
    return kept;
  }
}

/** The `RateLimit-Policy` and `RateLimit` fields (IETF httpapi ratelimit headers draft, structured fields). */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  const tightest = [...decision.policies].sort((a, b) => a.remaining - b.remaining || b.resetSeconds - a.resetSeconds)[0];
  const headers: Record<string, string> = {
    "RateLimit-Policy": decision.policies.map((p) => `"${p.name}";q=${p.limit};w=${p.windowSeconds}`).join(", "),
  };
  if (tightest) headers.RateLimit = `"${tightest.name}";r=${tightest.remaining};t=${tightest.resetSeconds}`;
  if (!decision.allowed) {
    const blocking = decision.policies.filter((p) => p.remaining === 0);
    headers["Retry-After"] = String(Math.max(1, ...blocking.map((p) => p.resetSeconds)));
  }
  return headers;
}
