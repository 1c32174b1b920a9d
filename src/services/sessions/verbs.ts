import { z } from "zod";
import { sessionStatusEnum } from "../../db/schema/enums";
import { nullableTimestamp, page, resource, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { CloseSessionInput, closeSession, getSession, listSessions, SessionListQuery } from "./index";

const Session = resource("Session", {
  contactId: z.string(),
  channelId: z.string().nullable(),
  agentId: z.string().nullable(),
  status: z.enum(sessionStatusEnum.enumValues),
  startedAt: timestamp,
  lastActivityAt: timestamp,
  endedAt: nullableTimestamp,
  endReason: z.string().nullable(),
  timeoutMinutes: z.number(),
  messageCount: z.number(),
  inboundCount: z.number(),
  outboundCount: z.number(),
  firstResponseAt: nullableTimestamp,
  summary: z.string().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const sessionId = z.uuid().describe("The session id");

export const listSessionsVerb = defineVerb({
  name: "sessions.list",
  summary: "List conversations (by contact, channel, agent, status), newest first",
  permission: "crm:read",
  input: SessionListQuery,
  output: page(Session, "SessionPage"),
  emits: [],
  run: listSessions,
});

export const getSessionVerb = defineVerb({
  name: "sessions.get",
  summary: "Get a conversation",
  permission: "crm:read",
  input: z.object({ sessionId }),
  output: Session,
  emits: [],
  run: (ctx, { sessionId }) => getSession(ctx, sessionId),
});

export const closeSessionVerb = defineVerb({
  name: "sessions.close",
  summary: "Close an active conversation",
  permission: "sessions:write",
  input: CloseSessionInput.extend({ sessionId }),
  output: Session,
  emits: ["session.ended"],
  run: (ctx, { sessionId, ...input }) => closeSession(ctx, sessionId, input),
});
