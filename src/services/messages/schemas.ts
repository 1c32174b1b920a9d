import { z } from "zod";

export const MessageListQuery = z
  .object({
    sessionId: z.uuid().optional(),
    contactId: z.uuid().optional(),
    order: z.enum(["asc", "desc"]).default("desc"),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(500).optional(),
  })
  .refine((q) => q.sessionId || q.contactId, { message: "sessionId or contactId is required", path: ["sessionId"] });

const MediaInput = z.object({
  url: z.url({ protocol: /^https?$/ }).max(4000),
  mimetype: z.string().min(3).max(200),
  filename: z.string().max(255).optional(),
});

export const SendMessageInput = z
  .object({
    contactId: z.uuid(),
    /** Which WhatsApp channel to send from; defaults to the contact's last conversation's channel. */
    channelId: z.uuid().optional(),
    contentType: z.enum(["text", "image", "video", "voice", "document"]).default("text"),
    text: z.string().max(4096).optional(),
    media: MediaInput.optional(),
    replyToMessageId: z.uuid().optional(),
    /** Set when an AI agent (or a human agent record) authored the reply. */
    agentId: z.uuid().optional(),
  })
  .superRefine((v, issue) => {
    if (v.contentType === "text" && !v.text?.trim()) issue.addIssue({ code: "custom", path: ["text"], message: "text is required for a text message" });
    if (v.contentType !== "text" && !v.media) issue.addIssue({ code: "custom", path: ["media"], message: `media is required for a ${v.contentType} message` });
  });
export type SendMessageInput = z.infer<typeof SendMessageInput>;
