import { z } from "zod";
import { sha256Hex } from "../../lib/crypto";
import { describeIssues, MAX_EPOCH_MS, storableText } from "../edge";

/**
 * WAHA webhook shapes, from devlikeapro/waha-docs (events) and waha src/structures. Only what we rely on is
 * required; everything else passes through (`_data` is engine-specific and only read opportunistically, never
 * trusted to be storable). Every value that reaches the database is validated here (see ../edge.ts).
 */

/** WhatsApp timestamps are seconds; some engines and versions send milliseconds (anything above 1e12). */
export const epochMsOf = (timestamp: number) => (timestamp > 1e12 ? timestamp : timestamp * 1000);
export const dateOf = (timestamp: number) => new Date(epochMsOf(timestamp));

/** A message timestamp in seconds or milliseconds, within the representable range. */
const messageTimestamp = z
  .number()
  .nonnegative()
  .refine((t) => epochMsOf(t) <= MAX_EPOCH_MS, "timestamp out of range");
/** An envelope timestamp (always milliseconds), within the representable range. */
const envelopeTimestamp = z.number().nonnegative().max(MAX_EPOCH_MS, "timestamp out of range");

const chatId = storableText(256).min(1);
const messageRef = storableText(500).min(1);
const coordinate = (limit: number) =>
  z
    .union([z.number(), storableText(40).regex(/^\s*-?\d+(\.\d+)?\s*$/, "must be a number")])
    .transform(Number)
    .pipe(z.number().min(-limit).max(limit));

export const WahaEnvelope = z.looseObject({
  id: storableText(200).min(1),
  timestamp: envelopeTimestamp.optional(),
  event: storableText(100).min(1),
  session: storableText(200).min(1),
  me: z.looseObject({ id: z.string().optional(), pushName: z.string().nullish() }).nullish(),
  payload: z.unknown(),
  engine: z.string().optional(),
});
export type WahaEnvelope = z.infer<typeof WahaEnvelope>;

export const WahaMessage = z.looseObject({
  id: messageRef,
  timestamp: messageTimestamp,
  from: chatId,
  fromMe: z.boolean(),
  source: storableText(50).nullish(),
  to: storableText(256).nullish(),
  participant: storableText(256).nullish(),
  body: storableText(512 * 1024).nullish(),
  hasMedia: z.boolean().nullish(),
  media: z
    .looseObject({
      url: storableText(4096).nullish(),
      mimetype: storableText(255).nullish(),
      filename: storableText(1024).nullish(),
      error: z.unknown().nullish(),
    })
    .nullish(),
  location: z.looseObject({ latitude: coordinate(90).nullish(), longitude: coordinate(180).nullish() }).nullish(),
  vCards: z
    .array(storableText(64 * 1024))
    .max(100)
    .nullish(),
  replyTo: z.looseObject({ id: storableText(500).nullish() }).nullish(),
  notifyName: storableText(256).nullish(),
  _data: z.unknown().optional(),
});
export type WahaMessage = z.infer<typeof WahaMessage>;

export const WahaAck = z.looseObject({
  id: messageRef,
  from: storableText(256).nullish(),
  participant: storableText(256).nullish(),
  fromMe: z.boolean().nullish(),
  ack: z.number().int().min(-1).max(4),
  ackName: z.string().nullish(),
});

export const WahaEdited = z.looseObject({
  id: storableText(500).nullish(),
  body: storableText(512 * 1024).nullish(),
  editedMessageId: messageRef,
});
export const WahaRevoked = z.looseObject({
  revokedMessageId: messageRef,
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export const WahaReaction = z.looseObject({
  id: storableText(500).nullish(),
  from: storableText(256).nullish(),
  fromMe: z.boolean().nullish(),
  participant: storableText(256).nullish(),
  reaction: z.looseObject({ text: storableText(64), messageId: messageRef }),
});
export const WahaSessionStatus = z.looseObject({ status: storableText(64).min(1) });

/** The events we act on, each with its payload schema; any other event is acknowledged as ignored. */
const PAYLOADS = {
  message: WahaMessage,
  "message.any": WahaMessage,
  "message.ack": WahaAck,
  "message.edited": WahaEdited,
  "message.revoked": WahaRevoked,
  "message.reaction": WahaReaction,
  "session.status": WahaSessionStatus,
} as const;
type Handled = keyof typeof PAYLOADS;

/** A verified, well-formed WAHA event: the envelope and its payload, typed by event name. */
export type WahaEvent =
  | { [K in Handled]: { event: K; envelope: WahaEnvelope; payload: z.infer<(typeof PAYLOADS)[K]> } }[Handled]
  | { event: "other"; envelope: WahaEnvelope; payload: unknown };

/** A verified delivery we can never process, with what we could learn about it (for the dedupe record). */
export interface WahaRejection {
  reason: string;
  /** The envelope id when it is usable, else undefined (then the body's hash identifies the delivery). */
  id?: string;
  event?: string;
  bodySha256: string;
}

export type ParsedWahaDelivery = { ok: true; value: WahaEvent } | { ok: false; rejection: WahaRejection };

/** Parses and validates a signed WAHA body (the exact bytes the HMAC covered). Never throws on bad input. */
export async function parseWahaDelivery(raw: Uint8Array): Promise<ParsedWahaDelivery> {
  const text = new TextDecoder().decode(raw);
  const reject = async (reason: string, body?: unknown): Promise<ParsedWahaDelivery> => {
    const partial = body && typeof body === "object" ? (body as Record<string, unknown>) : {};
    const id = WahaEnvelope.shape.id.safeParse(partial.id);
    const event = WahaEnvelope.shape.event.safeParse(partial.event);
    return {
      ok: false,
      rejection: {
        reason,
        ...(id.success ? { id: id.data } : {}),
        ...(event.success ? { event: event.data } : {}),
        bodySha256: await sha256Hex(text),
      },
    };
  };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return reject("body is not valid JSON");
  }
  const envelope = WahaEnvelope.safeParse(body);
  if (!envelope.success) return reject(describeIssues(envelope.error, ""), body);
  const event = envelope.data.event;
  if (!Object.hasOwn(PAYLOADS, event))
    return { ok: true, value: { event: "other", envelope: envelope.data, payload: envelope.data.payload } };
  const payload = PAYLOADS[event as Handled].safeParse(envelope.data.payload);
  if (!payload.success) return reject(`invalid ${event} payload: ${describeIssues(payload.error, "payload.")}`, body);
  return { ok: true, value: { event, envelope: envelope.data, payload: payload.data } as WahaEvent };
}
