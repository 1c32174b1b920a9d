import { z } from "zod";
import { contentTypeEnum } from "../../db/schema/enums";
import { httpUrl, numberInput } from "../shared/schemas";
import type { RuleFailure } from "../verbs/define";

export const MessageListQuery = z.object({
  sessionId: z.uuid().optional(),
  contactId: z.uuid().optional(),
  order: z.enum(["asc", "desc"]).default("desc"),
  limit: numberInput(z.number().int().min(1).max(200)).default(50),
  cursor: z.string().max(500).optional(),
});
export type MessageListQuery = z.infer<typeof MessageListQuery>;

/** Listing every message of the project at once is never what a caller means. */
export const messageListRules = (q: MessageListQuery): RuleFailure[] =>
  q.sessionId || q.contactId ? [] : [{ path: "sessionId", message: "sessionId or contactId is required" }];

const MediaInput = z.object({
  url: httpUrl(4000),
  // A MIME type token (type/subtype, optional parameters), never header syntax: it is sent on to WAHA and served back.
  mimetype: z
    .string()
    .min(3)
    .max(200)
    .regex(/^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*(\s*;\s*[A-Za-z0-9!#$&^_.+-]+=[A-Za-z0-9!#$&^_.+"-]+)*$/, {
      error: "must be a MIME type such as image/jpeg",
    }),
  filename: z.string().max(255).optional(),
});

export const SendMessageInput = z.object({
  contactId: z.uuid(),
  channelId: z.uuid().optional().describe("Which WhatsApp channel to send from; defaults to the contact's last conversation's channel"),
  // The kinds WAHA can send; inbound-only kinds (location, sticker, system…) are not offered.
  contentType: z.enum(contentTypeEnum.enumValues).extract(["text", "image", "video", "voice", "document"]).default("text"),
  text: z.string().max(4096).optional(),
  media: MediaInput.optional(),
  replyToMessageId: z.uuid().optional(),
  agentId: z.uuid().optional().describe("Set when an AI agent (or a human agent record) authored the reply"),
});
export type SendMessageInput = z.infer<typeof SendMessageInput>;

export function sendMessageRules(v: SendMessageInput): RuleFailure[] {
  if (v.contentType === "text") return v.text?.trim() ? [] : [{ path: "text", message: "text is required for a text message" }];
  return v.media ? [] : [{ path: "media", message: `media is required for a ${v.contentType} message` }];
}
