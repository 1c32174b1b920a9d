import { hmacHex, timingSafeEqual } from "../../lib/crypto";

export const DEFAULT_TOLERANCE_SECONDS = 300;

export type SignatureCheck = { ok: true; timestamp: number } | { ok: false; reason: string };

/**
 * Stripe's documented scheme: `Stripe-Signature: t=<unix s>,v1=<hex HMAC-SHA256("{t}.{raw body}")>[,v1=…]`.
 * Any v1 may match (secrets roll over with two signatures); the timestamp must be within the tolerance.
 * Written here instead of pulling the `stripe` SDK (~1 MB) into the Worker for one HMAC.
 */
export async function verifyStripeSignature(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): Promise<SignatureCheck> {
  if (!header) return { ok: false, reason: "Missing Stripe-Signature header" };
  const parts = header.split(",").map((p) => p.trim().split("="));
  const t = Number(parts.find(([k]) => k === "t")?.[1]);
  const signatures = parts.filter(([k, v]) => k === "v1" && v).map(([, v]) => v!.toLowerCase());
  if (!Number.isInteger(t) || signatures.length === 0) return { ok: false, reason: "Malformed Stripe-Signature header" };
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return { ok: false, reason: "Stripe-Signature timestamp outside the tolerance" };
  const expected = await hmacHex("SHA-256", secret, `${t}.${rawBody}`);
  return signatures.some((s) => timingSafeEqual(s, expected))
    ? { ok: true, timestamp: t }
    : { ok: false, reason: "No Stripe-Signature matches" };
}
