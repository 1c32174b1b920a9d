import { z } from "zod";
import { defineVerb } from "../verbs/define";
import { getMessageGroup, listMessageGroups, MessageGroupInput, MessageGroupsInput } from "./index";

const groupFields = {
  groupId: z.string(),
  sessionId: z.string(),
  contactId: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  messageCount: z.number(),
  contentTypes: z.array(z.string()),
  text: z.string(),
};
const GroupedMessage = z.object({
  id: z.string(),
  body: z.string().nullable(),
  contentType: z.string(),
  sentAt: z.string(),
  media: z
    .object({
      url: z.string().nullable().describe("The stored copy (GET it with your credentials), null until stored"),
      mimetype: z.string().nullable(),
      filename: z.string().nullable(),
      pending: z.boolean(),
      status: z.string().describe("pending | stored | unavailable | too_large | failed"),
      bytes: z.number().nullable(),
    })
    .nullable(),
  enrichment: z
    .unknown()
    .describe("What was read from the media: {status, kind, provider, model, transcript | description + visibleText | documentId, error}"),
});

export const listMessageGroupsVerb = defineVerb({
  name: "message_groups.list",
  summary: "Groups of consecutive customer messages in a session (what the customer said in one go), with media and enrichments",
  permission: "crm:read",
  input: MessageGroupsInput,
  output: z.object({
    sessionId: z.string(),
    windowSeconds: z.number(),
    groups: z.array(z.object({ ...groupFields, messageIds: z.array(z.string()) })),
  }),
  emits: [],
  run: listMessageGroups,
});

export const getMessageGroupVerb = defineVerb({
  name: "message_groups.get",
  summary: "One message group with its messages, media metadata and enrichments (transcripts, descriptions)",
  permission: "crm:read",
  input: MessageGroupInput,
  output: z.object({ ...groupFields, messages: z.array(GroupedMessage) }),
  emits: [],
  run: getMessageGroup,
});
