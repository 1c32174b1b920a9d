import { hmacHex, timingSafeEqual } from "../../lib/crypto";

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/**
 * WAHA signs each delivery with `X-Webhook-Hmac` = hex HMAC-SHA512 of the raw body under the webhook's HMAC key
 * (`X-Webhook-Hmac-Algorithm: sha512`). Every delivery must be signed: a channel without a secret accepts nothing
 * (channels always get one at creation; this is the second line of defence).
 */
export async function verifyWahaSignature(
  secret: string | null | undefined,
  rawBody: Uint8Array<ArrayBuffer>,
  hmacHeader: string | undefined,
  algorithmHeader: string | undefined,
): Promise<SignatureCheck> {
  if (!secret) return { ok: false, reason: "The channel has no webhook secret; rotate it and configure WAHA's HMAC key with it" };
  if (!hmacHeader) return { ok: false, reason: "Missing X-Webhook-Hmac signature" };
  const algorithm = (algorithmHeader ?? "sha512").toLowerCase();
  if (algorithm !== "sha512") return { ok: false, reason: `Unsupported X-Webhook-Hmac-Algorithm ${algorithm}` };
  const expected = await hmacHex("SHA-512", secret, rawBody);
  return timingSafeEqual(expected, hmacHeader.trim().toLowerCase())
    ? { ok: true }
    : { ok: false, reason: "Invalid X-Webhook-Hmac signature" };
}
