import { createRoute, z } from "@hono/zod-openapi";
import { parseWahaDelivery } from "../../integrations/waha/payloads";
import { verifyWahaSignature } from "../../integrations/waha/signature";
import { AppError } from "../../lib/errors";
import { loadWebhookChannel } from "../../services/whatsapp/channel-lookup";
import { receiveWahaDelivery } from "../../services/whatsapp/handle-event";
import { readBounded } from "../middleware/read-bounded";
import { errors, json } from "../openapi";
import { createRouter } from "../router";

export const WAHA_BODY_LIMIT_BYTES = 512 * 1024;

const route = createRoute({
  method: "post",
  path: "/webhooks/waha/{channelId}",
  tags: ["Webhooks"],
  summary: "WAHA webhook for one channel (every delivery signed: HMAC-SHA512 of the body in X-Webhook-Hmac)",
  description:
    "A signed delivery is answered 200 unless processing failed transiently (5xx: WAHA retries). " +
    "`outcome: rejected` (with `reason`) marks an event that can never be processed — malformed, out of range, " +
    "for another session — recorded and acknowledged so that WAHA does not retry it. Replays of any event " +
    "(same envelope id) answer `duplicate_delivery` and change nothing.",
  request: { params: z.object({ channelId: z.uuid().openapi({ param: { name: "channelId", in: "path" } }) }) },
  responses: {
    200: json(
      z.looseObject({ ok: z.literal(true), outcome: z.string(), reason: z.string().optional() }),
      "Persisted, or recognised as a duplicate, ignored or rejected",
    ),
    ...errors(400, 401, 404, 413),
  },
});

export const wahaWebhookRoutes = createRouter().openapi(route, async (c) => {
  const { db, log } = c.var;
  const channel = await loadWebhookChannel(db, c.req.valid("param").channelId);
  if (!channel) throw AppError.notFound("Channel", c.req.valid("param").channelId);

  // The raw bytes: the HMAC covers exactly them.
  const raw = await readBounded(c.req.raw, WAHA_BODY_LIMIT_BYTES);
  const check = await verifyWahaSignature(
    channel.webhookSecret,
    raw,
    c.req.header("x-webhook-hmac"),
    c.req.header("x-webhook-hmac-algorithm"),
  );
  if (!check.ok) throw new AppError("unauthorized", check.reason);

  const parsed = await parseWahaDelivery(raw);
  const event = parsed.ok ? parsed.value.envelope : parsed.rejection;
  const result = await receiveWahaDelivery(
    db,
    channel,
    parsed,
    log.child({ channelId: channel.id, event: event.event, eventId: event.id }),
  );
  const { outboxIds, committedRows, ...rest } = result;
  const known = new Map((committedRows ?? []).map((row) => [row.id, row]));
  c.var.committedEvents.push(...outboxIds.map((id) => ({ id, row: known.get(id) })));
  return c.json({ ok: true as const, ...rest }, 200);
});
