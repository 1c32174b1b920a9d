import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import { type Database, schema } from "../../db";
import { type ParsedStripeEvent, STRIPE_OBJECTS, type StripeEvent } from "../../integrations/stripe/payloads";
import { uuidv7 } from "../../lib/ids";
import type { Logger } from "../../lib/logger";
import { permanentDataError, recordRejection } from "../webhooks/rejections";

export type { StripeEvent };

export const HANDLED_STRIPE_EVENTS = new Set(Object.keys(STRIPE_OBJECTS));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Handles one verified Stripe delivery: applied (once per event id), or `rejected` — it can never be applied
 * (invalid at the edge, or a value the database refuses): recorded with its reason and acknowledged, so Stripe
 * stops retrying — or thrown on a transient failure (database unreachable…): nothing recorded, the transport
 * answers 5xx and Stripe's retry is applied normally.
 */
export async function receiveStripeEvent(
  db: Database,
  parsed: ParsedStripeEvent,
  log: Logger,
  receivedAt = new Date(),
): Promise<{ outcome: string; tenantId?: string; reason?: string }> {
  if (!parsed.ok) return rejectStripeEvent(db, parsed.rejection, log);
  const { event } = parsed;
  try {
    return await applyStripeEvent(db, event, receivedAt);
  } catch (err) {
    const reason = permanentDataError(err);
    if (!reason) throw err;
    return rejectStripeEvent(db, { reason, id: event.id, type: event.type }, log);
  }
}

async function rejectStripeEvent(db: Database, r: { reason: string; id?: string; type?: string; bodySha256?: string }, log: Logger) {
  // Without a usable event id, the body's hash identifies the delivery (a retry carries the same body).
  const dedupeKey = r.id ?? `sha256:${r.bodySha256}`;
  const recorded = await recordRejection(db, { source: "stripe", dedupeKey, eventType: r.type }, r.reason);
  log.warn("stripe event rejected", { eventId: r.id, type: r.type, reason: recorded.reason });
  return recorded;
}

type BillingChange = Partial<
  Pick<typeof schema.tenants.$inferInsert, "stripeCustomerId" | "stripeSubscriptionId" | "plan" | "billingStatus" | "currentPeriodEnd">
>;

/**
 * Applies a Stripe event to the tenant's billing state, exactly once per event id. Stripe delivers out of order,
 * so a change only lands if the event is not older than the last one applied (`billing_updated_at`).
 * The tenant is found by `client_reference_id` / `metadata.tenant_id` (set when the checkout was created) or by
 * the Stripe customer id recorded from an earlier event. The event's time is clamped to its receipt: an event dated
 * in the future would otherwise make every later one look older and freeze the billing state.
 */
export async function applyStripeEvent(
  db: Database,
  event: StripeEvent,
  receivedAt = new Date(),
): Promise<{ outcome: string; tenantId?: string }> {
  const obj = event.data.object ?? {};
  const change = billingChange(event.type, obj);
  const customer = typeof obj.customer === "string" ? obj.customer : (obj.customer?.id as string | undefined);
  const tenantHint = (obj.client_reference_id ?? obj.metadata?.tenant_id ?? obj.subscription_details?.metadata?.tenant_id) as
    | string
    | undefined;
  const at = new Date(Math.min(event.created * 1000, receivedAt.getTime()));

  return db.transaction(async (tx) => {
    const fresh = await tx
      .insert(schema.processedWebhookEvents)
      .values({ source: "stripe", dedupeKey: event.id, eventType: event.type })
      .onConflictDoNothing()
      .returning({ id: schema.processedWebhookEvents.id });
    if (fresh.length === 0) return { outcome: "duplicate" };
    if (!change) return { outcome: "ignored" };

    const t = schema.tenants;
    const byHint = typeof tenantHint === "string" && UUID.test(tenantHint) ? eq(t.id, tenantHint) : undefined;
    const byCustomer = customer ? eq(t.stripeCustomerId, customer) : undefined;
    const match = byHint ?? byCustomer;
    if (!match) return { outcome: "unmatched" };
    const [tenant] = await tx
      .update(t)
      .set({ ...change, ...(customer ? { stripeCustomerId: customer } : {}), billingUpdatedAt: at, updatedAt: sql`now()` })
      .where(and(match, or(isNull(t.billingUpdatedAt), lte(t.billingUpdatedAt, at))))
      .returning({ id: t.id });
    if (!tenant) {
      const [exists] = await tx.select({ id: t.id }).from(t).where(match);
      return { outcome: exists ? "stale" : "unmatched", tenantId: exists?.id };
    }
    await tx.update(schema.processedWebhookEvents).set({ tenantId: tenant.id }).where(eq(schema.processedWebhookEvents.id, fresh[0]!.id));
    await tx.insert(schema.outbox).values({
      id: uuidv7(),
      tenantId: tenant.id,
      topic: "billing.updated",
      payload: { stripeEventId: event.id, type: event.type, ...serialise(change) },
    });
    return { outcome: "applied", tenantId: tenant.id };
  });
}

function billingChange(type: string, obj: Record<string, any>): BillingChange | undefined {
  switch (type) {
    case "checkout.session.completed":
      return {
        ...(typeof obj.subscription === "string" ? { stripeSubscriptionId: obj.subscription } : {}),
        ...(typeof obj.subscription?.id === "string" ? { stripeSubscriptionId: obj.subscription.id } : {}),
        ...(obj.payment_status === "paid" || obj.status === "complete" ? { billingStatus: "active" } : {}),
      };
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted": {
      const item = obj.items?.data?.[0];
      const periodEnd = obj.current_period_end ?? item?.current_period_end;
      return {
        stripeSubscriptionId: obj.id,
        billingStatus: type === "customer.subscription.deleted" ? "canceled" : String(obj.status ?? "active"),
        plan: type === "customer.subscription.deleted" ? "free" : String(item?.price?.lookup_key ?? item?.price?.id ?? "paid"),
        ...(periodEnd ? { currentPeriodEnd: new Date(Number(periodEnd) * 1000) } : {}),
      };
    }
    case "invoice.paid":
      return { billingStatus: "active" };
    case "invoice.payment_failed":
      return { billingStatus: "past_due" };
    default:
      return undefined;
  }
}

const serialise = (c: BillingChange) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
