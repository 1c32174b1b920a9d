import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { hmacHex } from "../../src/lib/crypto";
import { testDatabase } from "../support/db";
import { createTenantFixture } from "../support/fixtures";

const db = testDatabase();
let n = 0;

/** Signs like Stripe: t=<unix s>,v1=HMAC-SHA256("{t}.{body}"). */
async function postStripe(event: unknown, opts: { secret?: string; t?: number; header?: string } = {}) {
  const raw = JSON.stringify(event);
  const t = opts.t ?? Math.floor(Date.now() / 1000);
  const sig = await hmacHex("SHA-256", opts.secret ?? env.STRIPE_WEBHOOK_SECRET, `${t}.${raw}`);
  const res = await exports.default.fetch("http://crm.test/webhooks/stripe", {
    method: "POST",
    headers: { "content-type": "application/json", "Stripe-Signature": opts.header ?? `t=${t},v1=${"0".repeat(64)},v1=${sig}` },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const event = (type: string, object: Record<string, unknown>, created = Math.floor(Date.now() / 1000)) => ({
  id: `evt_test_${Date.now()}_${n++}`,
  object: "event",
  type,
  created,
  data: { object },
});

const billing = async (tenantId: string) =>
  (
    await db.query.execute<any>(
      sql`select stripe_customer_id, stripe_subscription_id, plan, billing_status, current_period_end from tenants where id = ${tenantId}`,
    )
  ).rows[0];

describe("Stripe webhook", () => {
  let t: Awaited<ReturnType<typeof createTenantFixture>>;
  const customer = `cus_${Date.now()}`;
  beforeAll(async () => {
    t = await createTenantFixture(db);
  });

  it("links the tenant on checkout, then follows the subscription", async () => {
    const checkout = await postStripe(
      event("checkout.session.completed", {
        id: "cs_1",
        object: "checkout.session",
        client_reference_id: t.tenant.id,
        customer,
        subscription: "sub_1",
        payment_status: "paid",
        status: "complete",
      }),
    );
    expect(checkout).toMatchObject({ status: 200, body: { outcome: "applied" } });
    expect(await billing(t.tenant.id)).toMatchObject({
      stripe_customer_id: customer,
      stripe_subscription_id: "sub_1",
      billing_status: "active",
    });
    const periodEnd = Math.floor(Date.now() / 1000) + 30 * 86400;
    await postStripe(
      event("customer.subscription.updated", {
        id: "sub_1",
        object: "subscription",
        customer,
        status: "active",
        items: { data: [{ price: { id: "price_1", lookup_key: "pro_monthly" }, current_period_end: periodEnd }] },
      }),
    );
    const b = await billing(t.tenant.id);
    expect(b.plan).toBe("pro_monthly");
    expect(new Date(b.current_period_end).getTime()).toBe(periodEnd * 1000);
    await postStripe(event("invoice.payment_failed", { id: "in_1", object: "invoice", customer }));
    expect((await billing(t.tenant.id)).billing_status).toBe("past_due");
    await postStripe(event("invoice.paid", { id: "in_2", object: "invoice", customer }));
    expect((await billing(t.tenant.id)).billing_status).toBe("active");
  });

  it("is idempotent by event id and ignores events older than the state", async () => {
    const now = Math.floor(Date.now() / 1000) + 5;
    const cancel = event("customer.subscription.deleted", { id: "sub_1", object: "subscription", customer, status: "canceled" }, now);
    expect((await postStripe(cancel)).body.outcome).toBe("applied");
    expect((await postStripe(cancel)).body.outcome).toBe("duplicate");
    // An update created before the cancellation arrives late: it must not resurrect the subscription.
    const late = event(
      "customer.subscription.updated",
      { id: "sub_1", object: "subscription", customer, status: "active", items: { data: [{ price: { id: "p" } }] } },
      now - 60,
    );
    expect((await postStripe(late)).body.outcome).toBe("stale");
    expect(await billing(t.tenant.id)).toMatchObject({ billing_status: "canceled", plan: "free" });
    expect((await postStripe(event("customer.created", { id: customer }))).body.outcome).toBe("ignored");
    expect((await postStripe(event("invoice.paid", { id: "in_x", customer: "cus_unknown" }))).body.outcome).toBe("unmatched");
  });

  it("refuses bad, missing, stale and foreign signatures with 401; acknowledges signed malformed events as rejected", async () => {
    const e = event("invoice.paid", { id: "in_3", customer });
    expect((await postStripe(e, { secret: "whsec_someone_else_000" })).status).toBe(401);
    expect((await postStripe(e, { header: "" })).status).toBe(401);
    expect((await postStripe(e, { header: "t=abc,v2=zzz" })).status).toBe(401);
    expect((await postStripe(e, { t: Math.floor(Date.now() / 1000) - 301 })).status).toBe(401);
    expect((await postStripe(e, { t: Math.floor(Date.now() / 1000) + 301 })).status).toBe(401);
    expect((await postStripe(e, { t: Math.floor(Date.now() / 1000) - 290 })).status).toBe(200);
    expect(await postStripe({ hello: "world" })).toMatchObject({ status: 200, body: { received: true, outcome: "rejected" } });
  });
});
