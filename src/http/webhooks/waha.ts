import { createRoute, z } from "@hono/zod-openapi";
import { WahaEnvelope } from "../../integrations/waha/payloads";
import { hmacHex, timingSafeEqual } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import { loadWebhookChannel } from "../../services/whatsapp/channel-lookup";
import { handleWahaEvent } from "../../services/whatsapp/handle-event";
import { errors, json } from "../openapi";
import { createRouter } from "../router";

export const WAHA_BODY_LIMIT_BYTES = 512 * 1024;

const route = createRoute({
  method: "post",
  path: "/webhooks/waha/{channelId}",
  tags: ["Webhooks"],
  summary: "WAHA webhook for one channel (HMAC-SHA512 in X-Webhook-Hmac when the channel has a secret)",
  request: { params: z.object({ channelId: z.uuid().openapi({ param: { name: "channelId", in: "path" } }) }) },
  responses: {
    200: json(z.looseObject({ ok: z.literal(true), outcome: z.string() }), "Persisted (or recognised as a duplicate / ignored)"),
    ...errors(400, 401, 404, 413, 422),
  },
});

export const wahaWebhookRoutes = createRouter().openapi(route, async (c) => {
  const { db, log } = c.var;
  const channel = await loadWebhookChannel(db, c.req.valid("param").channelId);
  if (!channel) throw AppError.notFound("Channel", c.req.valid("param").channelId);

  const raw = await readBounded(c.req.raw, WAHA_BODY_LIMIT_BYTES);
  if (channel.webhookSecret) {
    const given = c.req.header("x-webhook-hmac");
    const algorithm = (c.req.header("x-webhook-hmac-algorithm") ?? "sha512").toLowerCase();
    if (!given) throw new AppError("unauthorized", "Missing X-Webhook-Hmac signature");
    if (algorithm !== "sha512") throw new AppError("unauthorized", `Unsupported X-Webhook-Hmac-Algorithm ${algorithm}`);
    const expected = await hmacHex("SHA-512", channel.webhookSecret, raw);
    if (!timingSafeEqual(expected, given.trim().toLowerCase())) throw new AppError("unauthorized", "Invalid X-Webhook-Hmac signature");
  }

  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    throw new AppError("invalid_request", "Webhook body is not valid JSON");
  }
  const parsed = WahaEnvelope.safeParse(body);
  if (!parsed.success) {
    throw new AppError(
      "invalid_request",
      "Not a WAHA webhook envelope",
      parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
    );
  }
  const envelope = parsed.data;
  if (envelope.session !== channel.wahaSession) {
    throw new AppError(
      "unprocessable",
      `Event for WAHA session '${envelope.session}' sent to the channel of session '${channel.wahaSession}'`,
    );
  }

  const result = await handleWahaEvent(
    db,
    channel,
    envelope,
    log.child({ channelId: channel.id, event: envelope.event, eventId: envelope.id }),
  );
  const { outboxIds, ...rest } = result;
  c.var.committedEvents.push(...outboxIds);
  return c.json({ ok: true as const, ...rest }, 200);
});

/** Reads the raw body (the HMAC covers the exact bytes) and refuses more than `limit`, even without Content-Length. */
async function readBounded(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? 0);
  if (declared > limit) throw new AppError("payload_too_large", `Webhook body exceeds ${limit} bytes`);
  const reader = req.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw new AppError("payload_too_large", `Webhook body exceeds ${limit} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
