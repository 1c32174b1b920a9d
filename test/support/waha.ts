import { exports } from "cloudflare:workers";
import { hmacHex } from "../../src/lib/crypto";

let seq = 0;
export const eventId = () =>
  `evt_${Date.now().toString(36)}${(seq++).toString(36).padStart(4, "0")}${Math.random().toString(36).slice(2, 10)}`;
export const messageId = () => `3EB0${crypto.randomUUID().replace(/-/g, "").slice(0, 16).toUpperCase()}`;

/** Posts a webhook exactly as WAHA does: envelope, X-Webhook-* headers, HMAC-SHA512 of the raw body. */
export async function postWaha(
  channel: { id: string; wahaSession: string; webhookSecret: string | null },
  event: string,
  payload: unknown,
  opts: { id?: string; secret?: string | null; hmac?: string; rawBody?: string; session?: string; timestamp?: number } = {},
) {
  const id = opts.id ?? eventId();
  const raw =
    opts.rawBody ??
    JSON.stringify({
      id,
      timestamp: opts.timestamp ?? Date.now(),
      event,
      session: opts.session ?? channel.wahaSession,
      metadata: {},
      me: { id: "5511900000000@c.us", pushName: "Loja" },
      payload,
      engine: "WEBJS",
      environment: { version: "2025.11.1", engine: "WEBJS", tier: "CORE" },
    });
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "X-Webhook-Request-Id": id,
    "X-Webhook-Timestamp": String(Date.now()),
  };
  const secret = opts.secret === undefined ? channel.webhookSecret : opts.secret;
  if (opts.hmac !== undefined) headers["X-Webhook-Hmac"] = opts.hmac;
  else if (secret) headers["X-Webhook-Hmac"] = await hmacHex("SHA-512", secret, raw);
  if (headers["X-Webhook-Hmac"]) headers["X-Webhook-Hmac-Algorithm"] = "sha512";
  const res = await exports.default.fetch(`http://crm.test/webhooks/waha/${channel.id}`, { method: "POST", headers, body: raw });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export function inboundText(from: string, body: string, extra: Record<string, unknown> = {}) {
  const id = messageId();
  return {
    id: `false_${from}_${id}`,
    timestamp: Math.floor(Date.now() / 1000),
    from,
    fromMe: false,
    source: "app",
    to: "5511900000000@c.us",
    body,
    hasMedia: false,
    media: null,
    ack: 1,
    ackName: "SERVER",
    vCards: [],
    _data: { notifyName: "Cliente" },
    ...extra,
  };
}
