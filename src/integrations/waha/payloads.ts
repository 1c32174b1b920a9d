import { z } from "zod";

/**
 * WAHA webhook shapes, from devlikeapro/waha-docs (events) and waha src/structures. Only what we rely on is
 * required; everything else passes through (`_data` is engine-specific and only read opportunistically).
 */
export const WahaEnvelope = z.looseObject({
  id: z.string().min(1).max(200),
  timestamp: z.number().optional(),
  event: z.string().min(1).max(100),
  session: z.string().min(1).max(200),
  me: z.looseObject({ id: z.string().optional(), pushName: z.string().nullish() }).nullish(),
  payload: z.unknown(),
  engine: z.string().optional(),
});
export type WahaEnvelope = z.infer<typeof WahaEnvelope>;

export const WahaMessage = z.looseObject({
  id: z.string().min(1).max(500),
  timestamp: z.number().nonnegative(),
  from: z.string().min(1),
  fromMe: z.boolean(),
  source: z.string().nullish(),
  to: z.string().nullish(),
  participant: z.string().nullish(),
  body: z.string().nullish(),
  hasMedia: z.boolean().nullish(),
  media: z
    .looseObject({
      url: z.string().nullish(),
      mimetype: z.string().nullish(),
      filename: z.string().nullish(),
      error: z.unknown().nullish(),
    })
    .nullish(),
  location: z
    .looseObject({ latitude: z.union([z.number(), z.string()]).nullish(), longitude: z.union([z.number(), z.string()]).nullish() })
    .nullish(),
  vCards: z.array(z.string()).nullish(),
  replyTo: z.looseObject({ id: z.string().nullish() }).nullish(),
  notifyName: z.string().nullish(),
  _data: z.unknown().optional(),
});
export type WahaMessage = z.infer<typeof WahaMessage>;

export const WahaAck = z.looseObject({
  id: z.string().min(1),
  from: z.string().nullish(),
  participant: z.string().nullish(),
  fromMe: z.boolean().nullish(),
  ack: z.number().int().min(-1).max(4),
  ackName: z.string().nullish(),
});

export const WahaEdited = z.looseObject({ id: z.string().nullish(), body: z.string().nullish(), editedMessageId: z.string().min(1) });
export const WahaRevoked = z.looseObject({
  revokedMessageId: z.string().min(1),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export const WahaReaction = z.looseObject({
  id: z.string().nullish(),
  from: z.string().nullish(),
  fromMe: z.boolean().nullish(),
  participant: z.string().nullish(),
  reaction: z.looseObject({ text: z.string(), messageId: z.string().min(1) }),
});
export const WahaSessionStatus = z.looseObject({ status: z.string().min(1) });
