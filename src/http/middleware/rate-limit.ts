import type { Context } from "hono";
import { AppError } from "../../lib/errors";
import { type RateDecision, rateLimitHeaders } from "../../services/rate-limits/policy";
import type { AppEnv } from "../context";

/**
 * Per caller and per tenant limits (plans in services/rate-limits/policy.ts), checked once the principal is known,
 * on every authenticated surface. Every answer carries `RateLimit-Policy` / `RateLimit`; a refusal is 429 with
 * `Retry-After`. If the limiter itself is unreachable the request goes through: limits protect availability, they
 * must not take it away.
 */
export async function enforceRateLimit(c: Context<AppEnv>) {
  const { tenantId, actor } = c.var.principal;
  let decision: RateDecision;
  try {
    decision = await c.env.RATE_LIMITER.get(c.env.RATE_LIMITER.idFromName(tenantId)).hit({ tenantId, callerId: actor.id });
  } catch (err) {
    c.var.log.warn("rate limiter unavailable; request allowed", { err });
    return;
  }
  const headers = rateLimitHeaders(decision);
  for (const [name, value] of Object.entries(headers)) c.header(name, value);
  if (!decision.allowed) {
    const scope = decision.policies.find((p) => p.remaining === 0)?.name ?? "key";
    throw new AppError("rate_limited", `Rate limit exceeded for this ${scope === "key" ? "API key or user" : "tenant"}; retry later`, {
      scope,
      retryAfterSeconds: Number(headers["Retry-After"]),
    });
  }
}
