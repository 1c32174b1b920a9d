import { DurableObject } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { schema } from "../db";
import { databaseFor, parseConfig } from "../env";
import { limitsFor, type RateDecision, RateLimitsConfig, SlidingLog } from "../services/rate-limits/policy";

const PLAN_TTL_MS = 60_000;

/**
 * One per tenant: counts the tenant's requests and each caller's (API key or user) in memory. Counts are not
 * durable on purpose — an evicted object forgets at most one window, and every request costs one in-memory check.
 * The tenant's plan is read from the database at most once a minute.
 */
export class RateLimiter extends DurableObject<Env> {
  private readonly log = new SlidingLog();
  private plan?: { name: string; at: number };

  async hit(req: { tenantId: string; callerId: string }): Promise<RateDecision> {
    const now = Date.now();
    const config = parseConfig(this.env);
    const limits = limitsFor(await this.planOf(req.tenantId, now), parseOverrides(config.RATE_LIMITS));
    return this.log.check(
      [
        { name: "key", key: `k:${req.callerId}`, limit: limits.key, windowSeconds: limits.windowSeconds },
        { name: "tenant", key: "tenant", limit: limits.tenant, windowSeconds: limits.windowSeconds },
      ],
      now,
    );
  }

  private async planOf(tenantId: string, now: number): Promise<string> {
    if (this.plan && now - this.plan.at < PLAN_TTL_MS) return this.plan.name;
    const db = databaseFor(parseConfig(this.env));
    try {
      const [row] = await db.query.select({ plan: schema.tenants.plan }).from(schema.tenants).where(eq(schema.tenants.id, tenantId));
      this.plan = { name: row?.plan ?? "free", at: now };
    } finally {
      this.ctx.waitUntil(db.close());
    }
    return this.plan.name;
  }
}

function parseOverrides(raw: string | undefined) {
  if (!raw) return {};
  const parsed = RateLimitsConfig.safeParse(JSON.parse(raw));
  return parsed.success ? parsed.data : {};
}
