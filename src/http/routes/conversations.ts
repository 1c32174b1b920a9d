import { z } from "@hono/zod-openapi";
import { listMessages } from "../../services/messages/list";
import { MessageListQuery, SendMessageInput } from "../../services/messages/schemas";
import { sendMessage } from "../../services/messages/send";
import { closeSession, CloseSessionInput, getSession, listSessions, SessionListQuery } from "../../services/sessions";
import { contactTimeline, TimelineQuery } from "../../services/timeline";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, page, resource } from "../openapi";
import { createRouter } from "../router";

const Session = resource("Session", {
  contactId: z.string(),
  channelId: z.string().nullable(),
  agentId: z.string().nullable(),
  status: z.enum(["active", "ended", "expired", "manually_closed"]),
  messageCount: z.number(),
});
const Message = resource("Message", {
  sessionId: z.string(),
  contactId: z.string(),
  direction: z.enum(["inbound", "outbound"]),
  contentType: z.string(),
  status: z.enum(["queued", "sent", "delivered", "read", "played", "failed"]),
  body: z.string().nullable(),
  channelMessageId: z.string().nullable(),
});
const TimelineEvent = resource("TimelineEvent", { type: z.string(), title: z.string().nullable(), payload: z.record(z.string(), z.unknown()) });

const listS = authedRoute("crm:read", { method: "get", path: "/sessions", tags: ["Sessions"], summary: "List conversations (by contact, channel, agent, status)", request: { query: SessionListQuery }, responses: { 200: json(page(Session, "SessionPage"), "Sessions"), ...authErrors() } });
const getS = authedRoute("crm:read", { method: "get", path: "/sessions/{id}", tags: ["Sessions"], summary: "Get a conversation", request: { params: IdParam }, responses: { 200: json(Session, "The session"), ...authErrors() } });
const closeS = authedRoute("sessions:write", { method: "post", path: "/sessions/{id}/close", tags: ["Sessions"], summary: "Close an active conversation", request: { params: IdParam, body: { content: { "application/json": { schema: CloseSessionInput } } } }, responses: { 200: json(Session, "Closed"), ...authErrors(), ...errors(409) } });
const listM = authedRoute("crm:read", { method: "get", path: "/messages", tags: ["Messages"], summary: "List messages of a session or a contact", request: { query: MessageListQuery }, responses: { 200: json(page(Message, "MessagePage"), "Messages"), ...authErrors() } });
const send = authedRoute("messages:send", { method: "post", path: "/messages", tags: ["Messages"], summary: "Send a WhatsApp message (queued; delivered through WAHA)", request: { body: jsonBody(SendMessageInput) }, responses: { 202: json(Message, "Queued for sending"), ...authErrors(), ...errors(422) } });
const timeline = authedRoute("crm:read", { method: "get", path: "/contacts/{id}/timeline", tags: ["Contacts"], summary: "A contact's timeline, newest first", request: { params: IdParam, query: TimelineQuery }, responses: { 200: json(page(TimelineEvent, "TimelinePage"), "Events"), ...authErrors() } });

export const conversationRoutes = createRouter()
  .openapi(listS, async (c) => {
    return c.json(await listSessions(c.var.svc, c.req.valid("query")), 200);
  })
  .openapi(getS, async (c) => {
    return c.json(await getSession(c.var.svc, c.req.valid("param").id), 200);
  })
  .openapi(closeS, async (c) => {
    const body = c.req.header("content-type")?.includes("json") ? c.req.valid("json") : {};
    return c.json(await closeSession(c.var.svc, c.req.valid("param").id, body ?? {}), 200);
  })
  .openapi(listM, async (c) => {
    return c.json(await listMessages(c.var.svc, c.req.valid("query")), 200);
  })
  .openapi(send, async (c) => {
    return c.json(await sendMessage(c.var.svc, c.req.valid("json")), 202);
  })
  .openapi(timeline, async (c) => {
    return c.json(await contactTimeline(c.var.svc, c.req.valid("param").id, c.req.valid("query")), 200);
  });
