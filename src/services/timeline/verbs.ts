import { z } from "zod";
import { actorTypeEnum } from "../../db/schema/enums";
import { page, resource, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { contactTimeline, TimelineQuery } from "./index";

const TimelineEvent = resource("TimelineEvent", {
  contactId: z.string(),
  sessionId: z.string().nullable(),
  type: z.string().describe("contact.created, tag.added, note.created, session.ended, …"),
  title: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  actorType: z.enum(actorTypeEnum.enumValues),
  actorId: z.string().nullable(),
  occurredAt: timestamp,
  createdAt: timestamp,
});

export const contactTimelineVerb = defineVerb({
  name: "contacts.timeline",
  summary: "A contact's timeline (created, tags, notes, stage changes, conversations…), newest first",
  permission: "crm:read",
  input: z.object({ contactId: z.uuid().describe("The contact id"), ...TimelineQuery.shape }),
  output: page(TimelineEvent, "TimelinePage"),
  emits: [],
  run: (ctx, { contactId, ...q }) => contactTimeline(ctx, contactId, q),
});
