import { createRoute, z } from "@hono/zod-openapi";
import { parseStripeEvent } from "../../integrations/stripe/payloads";
import { verifyStripeSignature } from "../../integrations/stripe/signature";
import { AppError } from "../../lib/errors";
import { receiveStripeEvent } from "../../services/billing/stripe-events";
import { errors, json } from "../openapi";
import { createRouter } from "../router";

const route = createRoute({
  method: "post",
  path: "/webhooks/stripe",
  tags: ["Webhooks"],
  summary: "Stripe webhook (Stripe-Signature verified, 5-minute tolerance, idempotent by event id)",
  description:
    "A signed event is answered 200 unless processing failed transiently (5xx: Stripe retries). " +
    "`outcome: rejected` (with `reason`) marks an event that can never be applied — malformed or out of range — " +
    "recorded and acknowledged so that Stripe does not retry it.",
  responses: {
    200: json(
      z.object({ received: z.literal(true), outcome: z.string(), reason: z.string().optional() }),
      "Processed, duplicate, stale, ignored or rejected",
    ),
    ...errors(401, 404, 413),
  },
});

export const stripeWebhookRoutes = createRouter().openapi(route, async (c) => {
  const secret = c.var.config.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError("not_found", "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)");
  const raw = await c.req.text();
  if (raw.length > 256 * 1024) throw new AppError("payload_too_large", "Stripe event exceeds 256 KiB");
  const check = await verifyStripeSignature(c.req.header("stripe-signature"), raw, secret);
  if (!check.ok) throw new AppError("unauthorized", check.reason);
  const parsed = await parseStripeEvent(raw);
  const event = parsed.ok ? parsed.event : parsed.rejection;
  const log = c.var.log.child({ eventId: event.id, type: event.type });
  const result = await receiveStripeEvent(c.var.db, parsed, log);
  log.info("stripe event", { ...result });
  return c.json({ received: true as const, outcome: result.outcome, ...(result.reason ? { reason: result.reason } : {}) }, 200);
});
