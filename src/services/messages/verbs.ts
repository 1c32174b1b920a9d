import { z } from "zod";
import { contentTypeEnum, messageDirectionEnum, messageStatusEnum } from "../../db/schema/enums";
import { mediaEnrichmentStatusEnum, mediaStatusEnum } from "../../db/schema/media";
import { nullableTimestamp, page, resource, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { listMessages } from "./list";
import { MessageListQuery, messageListRules, SendMessageInput, sendMessageRules } from "./schemas";
import { sendMessage } from "./send";

export const MessageMedia = z
  .object({
    status: z.enum(mediaStatusEnum.enumValues),
    mimeType: z.string().nullable().describe("Sniffed from the bytes"),
    filename: z.string().nullable(),
    bytes: z.number().nullable(),
    sha256: z.string().nullable(),
    error: z.string().nullable(),
    url: z.string().nullable().describe("GET it with your credentials (Range supported); /media/url gives a signed one"),
    enrichment: z.object({
      status: z.enum(mediaEnrichmentStatusEnum.enumValues),
      kind: z.string().nullable().describe("transcript | description | document"),
      provider: z.string().nullable(),
      model: z.string().nullable(),
      result: z.record(z.string(), z.unknown()).nullable(),
      error: z.string().nullable(),
    }),
  })
  .meta({ id: "MessageMedia" });

const Message = resource("Message", {
  sessionId: z.string(),
  contactId: z.string(),
  channelId: z.string().nullable(),
  direction: z.enum(messageDirectionEnum.enumValues),
  contentType: z.enum(contentTypeEnum.enumValues),
  status: z.enum(messageStatusEnum.enumValues),
  body: z.string().nullable(),
  mediaUrl: z.string().nullable(),
  mediaMimetype: z.string().nullable(),
  mediaFilename: z.string().nullable(),
  replyToMessageId: z.string().nullable(),
  channelMessageId: z.string().nullable().describe("WhatsApp's id for the message; null until an outbound message is accepted"),
  fromMe: z.boolean(),
  sentByAgentId: z.string().nullable(),
  error: z.string().nullable(),
  sentAt: nullableTimestamp,
  deliveredAt: nullableTimestamp,
  readAt: nullableTimestamp,
  createdAt: timestamp,
  media: MessageMedia.nullable().optional().describe("The stored copy of the message's file and what was read from it (lists only)"),
});

export const listMessagesVerb = defineVerb({
  name: "messages.list",
  summary: "List messages of a session or a contact",
  permission: "crm:read",
  input: MessageListQuery,
  rules: messageListRules,
  output: page(Message, "MessagePage"),
  emits: [],
  run: listMessages,
});

export const sendMessageVerb = defineVerb({
  name: "messages.send",
  summary: "Send a WhatsApp message (queued; delivered through WAHA)",
  permission: "messages:send",
  input: SendMessageInput,
  rules: sendMessageRules,
  output: Message,
  // Sending may expire an idle conversation and open a new one.
  emits: ["message.created", "message.queued", "session.created", "session.ended"],
  run: sendMessage,
});
