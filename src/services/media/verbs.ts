import { z } from "zod";
import { mediaStatusEnum } from "../../db/schema/media";
import { MessageMedia } from "../messages/verbs";
import { numberInput } from "../shared/schemas";
import { defineVerb } from "../verbs/define";
import { messageMediaInfo, signMediaUrl } from "./service";

const messageId = z.uuid();

/** REST streams the file itself (GET /messages/{messageId}/media, Range supported); the verb is its metadata. */
export const messageMediaVerb = defineVerb({
  name: "messages.media",
  summary: "A message's stored media (its file, streamed with Range support) and what was read from it",
  permission: "crm:read",
  input: z.object({ messageId }),
  output: MessageMedia.nullable(),
  emits: [],
  run: (ctx, { messageId }) => messageMediaInfo(ctx, messageId),
});

export const SignedMediaUrl = z
  .object({
    url: z.string().nullable().describe("Serves the file without a bearer token until expiresAt; null while the media is not stored"),
    expiresAt: z.string().nullable(),
    status: z.enum(mediaStatusEnum.enumValues).nullable().describe("The media's status (null: the message has no file)"),
  })
  .meta({ id: "SignedMediaUrl" });

export const messageMediaUrlVerb = defineVerb({
  name: "messages.media_url",
  summary: "A short-lived signed URL for a message's media (for <img>/<audio> tags)",
  permission: "crm:read",
  input: z.object({
    messageId,
    expiresInSeconds: numberInput(z.number().int().min(10).max(3600))
      .default(300)
      .describe("Lifetime of the URL (default 300 s, at most an hour)"),
  }),
  output: SignedMediaUrl,
  emits: [],
  run: (ctx, { messageId, expiresInSeconds }) => signMediaUrl(ctx, messageId, expiresInSeconds),
});
