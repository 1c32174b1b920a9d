import { createRoute, z } from "@hono/zod-openapi";
import { verifyStripeSignature } from "../../integrations/stripe/signature";
import { AppError } from "../../lib/errors";
import { applyStripeEvent } from "../../services/billing/stripe-events";
import { errors, json } from "../openapi";
import { createRouter } from "../router";

const StripeEventSchema = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  created: z.number().int(),
  data: z.looseObject({ object: z.looseObject({}) }),
});

const route = createRoute({
  method: "post",
  path: "/webhooks/stripe",
  tags: ["Webhooks"],
  summary: "Stripe webhook (Stripe-Signature verified, 5-minute tolerance, idempotent by event id)",
  responses: {
    200: json(z.object({ received: z.literal(true), outcome: z.string() }), "Processed, duplicate, stale or ignored"),
    ...errors(400, 401, 404, 413),
  },
});

export const stripeWebhookRoutes = createRouter().openapi(route, async (c) => {
  const secret = c.var.config.STRIPE_WEBHOOK_SECRET;
  if (!secret) throw new AppError("not_found", "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)");
  const raw = await c.req.text();
  if (raw.length > 256 * 1024) throw new AppError("payload_too_large", "Stripe event exceeds 256 KiB");
  const check = await verifyStripeSignature(c.req.header("stripe-signature"), raw, secret);
  if (!check.ok) throw new AppError("unauthorized", check.reason);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new AppError("invalid_request", "Stripe event is not valid JSON");
  }
  const event = StripeEventSchema.safeParse(parsed);
  if (!event.success)
    throw new AppError(
      "invalid_request",
      "Not a Stripe event",
      event.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  const result = await applyStripeEvent(c.var.db, event.data as never);
  c.var.log.info("stripe event", { eventId: event.data.id, type: event.data.type, ...result });
  return c.json({ received: true as const, outcome: result.outcome }, 200);
});
