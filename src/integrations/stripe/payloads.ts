import { z } from "zod";
import { sha256Hex } from "../../lib/crypto";
import { describeIssues, MAX_EPOCH_MS, storableText } from "../edge";

/**
 * Stripe event shapes (docs.stripe.com/api/events, /subscriptions, /checkout/sessions, /invoices): the envelope
 * of every event, and for the events we apply, the object fields we read (see ../edge.ts: what passes is
 * storable, what fails can never be applied and is rejected for good).
 */

/** Unix seconds within the representable range. */
const unixSeconds = z
  .number()
  .int()
  .nonnegative()
  .max(Math.floor(MAX_EPOCH_MS / 1000), "timestamp out of range");
const stripeId = storableText(255).min(1);
/** An expandable reference: the id, or the expanded object with its id. */
const ref = z.union([stripeId, z.looseObject({ id: stripeId })]);
const metadata = z.looseObject({ tenant_id: storableText(255).nullish() });

const Subscription = z.looseObject({
  id: stripeId,
  customer: ref.nullish(),
  status: storableText(64).nullish(),
  current_period_end: unixSeconds.nullish(),
  metadata: metadata.nullish(),
  items: z
    .looseObject({
      data: z.array(
        z.looseObject({
          current_period_end: unixSeconds.nullish(),
          price: z.looseObject({ id: storableText(255).nullish(), lookup_key: storableText(255).nullish() }).nullish(),
        }),
      ),
    })
    .nullish(),
});
const CheckoutSession = z.looseObject({
  client_reference_id: storableText(255).nullish(),
  customer: ref.nullish(),
  subscription: ref.nullish(),
  payment_status: storableText(64).nullish(),
  status: storableText(64).nullish(),
  metadata: metadata.nullish(),
});
const Invoice = z.looseObject({
  customer: ref.nullish(),
  metadata: metadata.nullish(),
  subscription_details: z.looseObject({ metadata: metadata.nullish() }).nullish(),
});

/** The events billing applies, with the object schema each is validated against. */
export const STRIPE_OBJECTS = {
  "checkout.session.completed": CheckoutSession,
  "customer.subscription.created": Subscription,
  "customer.subscription.updated": Subscription,
  "customer.subscription.deleted": Subscription,
  "invoice.paid": Invoice,
  "invoice.payment_failed": Invoice,
} as const;

const StripeEnvelope = z.looseObject({
  id: stripeId,
  type: storableText(100).min(1),
  created: unixSeconds,
  data: z.looseObject({ object: z.looseObject({}) }),
});

export interface StripeEvent {
  id: string;
  type: string;
  created: number;
  data: { object: Record<string, any> };
}

export interface StripeRejection {
  reason: string;
  id?: string;
  type?: string;
  bodySha256: string;
}

export type ParsedStripeEvent = { ok: true; event: StripeEvent } | { ok: false; rejection: StripeRejection };

/** Parses and validates a signed Stripe body. Never throws on bad input. */
export async function parseStripeEvent(raw: string): Promise<ParsedStripeEvent> {
  const reject = async (reason: string, body?: unknown): Promise<ParsedStripeEvent> => {
    const partial = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
    const id = StripeEnvelope.shape.id.safeParse(partial.id);
    const type = StripeEnvelope.shape.type.safeParse(partial.type);
    return {
      ok: false,
      rejection: {
        reason,
        ...(id.success ? { id: id.data } : {}),
        ...(type.success ? { type: type.data } : {}),
        bodySha256: await sha256Hex(raw),
      },
    };
  };
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return reject("body is not valid JSON");
  }
  const envelope = StripeEnvelope.safeParse(body);
  if (!envelope.success) return reject(`not a Stripe event: ${describeIssues(envelope.error, "")}`, body);
  const type = envelope.data.type;
  const schema = Object.hasOwn(STRIPE_OBJECTS, type) ? STRIPE_OBJECTS[type as keyof typeof STRIPE_OBJECTS] : undefined;
  if (schema) {
    const object = schema.safeParse(envelope.data.data.object);
    if (!object.success) return reject(`invalid ${envelope.data.type} object: ${describeIssues(object.error, "data.object.")}`, body);
  }
  return { ok: true, event: envelope.data as StripeEvent };
}
