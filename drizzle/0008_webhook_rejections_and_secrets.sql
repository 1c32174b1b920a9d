/*
 * Webhook hardening.
 * 1. Every channel has a webhook secret; unsigned webhooks are refused. A channel created without one gets a
 *    random secret here (244 random bits from two v4 UUIDs). Nobody knows it, so its WAHA deliveries answer 401
 *    until an admin rotates the secret (channels.rotate_webhook_secret) and configures WAHA's HMAC key with it —
 *    which is what accepting them unsigned should have required all along.
 */
UPDATE "channels"
SET "webhook_secret" = replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), "updated_at" = now()
WHERE "webhook_secret" IS NULL OR "webhook_secret" = '';--> statement-breakpoint
ALTER TABLE "channels" ALTER COLUMN "webhook_secret" SET NOT NULL;--> statement-breakpoint
/*
 * 2. A delivery that can never be processed is acknowledged and recorded as rejected, with its reason, in the
 *    same dedupe table as processed deliveries (outcome 'rejected'), so a retry of it is recognised at once.
 */
ALTER TABLE "processed_webhook_events" ADD COLUMN "reason" text;--> statement-breakpoint
/*
 * 3. Event times are now clamped to the time of receipt. A status or billing change dated in the future froze the
 *    channel's status (or the tenant's billing state): every later event looked older. Bring those back to now.
 */
UPDATE "channels" SET "status_updated_at" = now() WHERE "status_updated_at" > now();--> statement-breakpoint
UPDATE "tenants" SET "billing_updated_at" = now() WHERE "billing_updated_at" > now();
