import { eq } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../db";
import { agentStats, AgentStatsInput, AnalyzeAgentInput, analyzeAgentMessages, compareAgents, CompareAgentsInput, leadsCount, LeadsCountInput, topAgent, TopAgentInput } from "../services/analytics";
import { listChannels, publicChannel } from "../services/channels";
import { assignToAgent } from "../services/contacts/assign";
import { getContact } from "../services/contacts/get";
import { listContacts } from "../services/contacts/list";
import { updateContact } from "../services/contacts/update";
import { qualifyLead, QualifyLeadInput } from "../services/leads/qualify";
import { addMembers, listMembers } from "../services/lists";
import { getMessageGroup, listMessageGroups, MessageGroupInput, MessageGroupsInput } from "../services/message-groups";
import { listMessages } from "../services/messages/list";
import { sendMessage } from "../services/messages/send";
import { createNote } from "../services/notes";
import { listPipelines, moveContactToStage } from "../services/pipelines";
import { listSessions } from "../services/sessions";
import { listScoped } from "../services/shared/crud";
import { attachTag, attachTagByName } from "../services/tags";
import { contactTimeline } from "../services/timeline";
import { defineTool, type Tool } from "./registry";

// Arguments are snake_case: the agents calling these tools are Python (Google ADK).
const id = (what: string) => z.uuid().describe(`The ${what} id`);
const limit = (max = 100, def = 25) => z.number().int().min(1).max(max).default(def);
const cursor = z.string().max(500).optional().describe("nextCursor from a previous page");

export const tools: Tool[] = [
  defineTool({
    name: "get_contacts",
    description: "Search and list contacts (by name, phone or email; filter by tag, list, stage or assigned agent). Paginated.",
    permission: "crm:read",
    mutates: false,
    input: z.object({
      query: z.string().min(1).max(200).optional(),
      tag_id: z.uuid().optional(),
      list_id: z.uuid().optional(),
      stage_id: z.uuid().optional(),
      assigned_agent_id: z.uuid().optional(),
      limit: limit(),
      cursor,
    }),
    handler: (svc, a) =>
      listContacts(svc, { q: a.query, tagId: a.tag_id, listId: a.list_id, stageId: a.stage_id, assignedAgentId: a.assigned_agent_id, limit: a.limit, cursor: a.cursor, sort: "createdAt", order: "desc" }),
  }),
  defineTool({
    name: "get_contact",
    description: "One contact with identifiers (phone, WhatsApp ids), tags, custom fields and pipeline stages.",
    permission: "crm:read",
    mutates: false,
    input: z.object({ contact_id: id("contact") }),
    handler: (svc, a) => getContact(svc, a.contact_id),
  }),
  defineTool({
    name: "get_contact_lists",
    description: "The project's static contact lists.",
    permission: "crm:read",
    mutates: false,
    input: z.object({ limit: limit(100, 50), cursor }),
    handler: (svc, a) => listScoped(svc, schema.contactLists, a),
  }),
  defineTool({
    name: "get_list_contacts",
    description: "Contacts in a contact list.",
    permission: "crm:read",
    mutates: false,
    input: z.object({ list_id: id("contact list"), limit: limit(100, 50), cursor }),
    handler: (svc, a) => listMembers(svc, a.list_id, { limit: a.limit, cursor: a.cursor }),
  }),
  defineTool({
    name: "get_pipelines",
    description: "Sales pipelines with their ordered stages.",
    permission: "crm:read",
    mutates: false,
    input: z.object({}),
    handler: async (svc) => ({ pipelines: await listPipelines(svc) }),
  }),
  defineTool({
    name: "get_channels",
    description: "WhatsApp channels (WAHA sessions) and their connection status.",
    permission: "crm:read",
    mutates: false,
    input: z.object({}),
    handler: async (svc) => ({ channels: (await listChannels(svc)).map((c) => publicChannel(c)) }),
  }),
  defineTool({
    name: "get_agents",
    description: "Human and AI agents of the project.",
    permission: "crm:read",
    mutates: false,
    input: z.object({ kind: z.enum(["human", "ai"]).optional(), limit: limit(100, 50), cursor }),
    handler: (svc, a) => listScoped(svc, schema.agents, a, a.kind ? eq(schema.agents.kind, a.kind) : undefined),
  }),
  defineTool({
    name: "get_sessions",
    description: "Conversation sessions, filtered by contact, channel, agent or status. Newest first.",
    permission: "crm:read",
    mutates: false,
    input: z.object({
      contact_id: z.uuid().optional(),
      channel_id: z.uuid().optional(),
      agent_id: z.uuid().optional(),
      status: z.enum(["active", "ended", "expired", "manually_closed"]).optional(),
      limit: limit(),
      cursor,
    }),
    handler: (svc, a) => listSessions(svc, { contactId: a.contact_id, channelId: a.channel_id, agentId: a.agent_id, status: a.status, limit: a.limit, cursor: a.cursor }),
  }),
  defineTool({
    name: "get_messages",
    description: "Messages of a session or of a contact (session_id or contact_id is required).",
    permission: "crm:read",
    mutates: false,
    input: z
      .object({ session_id: z.uuid().optional(), contact_id: z.uuid().optional(), order: z.enum(["asc", "desc"]).default("desc"), limit: limit(200, 50), cursor })
      .refine((a) => a.session_id || a.contact_id, { message: "session_id or contact_id is required", path: ["session_id"] }),
    handler: (svc, a) => listMessages(svc, { sessionId: a.session_id, contactId: a.contact_id, order: a.order, limit: a.limit, cursor: a.cursor }),
  }),
  defineTool({
    name: "get_contact_events",
    description: "A contact's timeline (created, tags, notes, stage changes, conversations…), newest first.",
    permission: "crm:read",
    mutates: false,
    input: z.object({ contact_id: id("contact"), type: z.string().max(60).optional(), limit: limit(100, 50), cursor }),
    handler: (svc, a) => contactTimeline(svc, a.contact_id, { type: a.type, limit: a.limit, cursor: a.cursor }),
  }),
  defineTool({
    name: "list_message_groups",
    description: "Groups of consecutive customer messages in a session (what the customer said in one go), with media and enrichments.",
    permission: "crm:read",
    mutates: false,
    input: MessageGroupsInput,
    handler: (svc, a) => listMessageGroups(svc, a),
  }),
  defineTool({
    name: "get_message_group",
    description: "One message group with its messages, media metadata and enrichments (transcripts, descriptions).",
    permission: "crm:read",
    mutates: false,
    input: MessageGroupInput,
    handler: (svc, a) => getMessageGroup(svc, a),
  }),
  defineTool({
    name: "get_leads_count",
    description: "Number of leads (contacts created in the period) by pipeline, stage, tag or period.",
    permission: "crm:read",
    mutates: false,
    input: LeadsCountInput,
    handler: (svc, a) => leadsCount(svc, a),
  }),
  defineTool({
    name: "get_agent_stats",
    description: "Per-agent messages sent, sessions handled, average first-response and resolution times.",
    permission: "crm:read",
    mutates: false,
    input: AgentStatsInput,
    handler: (svc, a) => agentStats(svc, a),
  }),
  defineTool({
    name: "get_top_agent",
    description: "The best agent by a metric over a period (response and resolution times: lowest wins).",
    permission: "crm:read",
    mutates: false,
    input: TopAgentInput,
    handler: (svc, a) => topAgent(svc, a),
  }),
  defineTool({
    name: "analyze_agent_messages",
    description: "An agent's message volume, reply times, content mix and activity by hour and day.",
    permission: "crm:read",
    mutates: false,
    input: AnalyzeAgentInput,
    handler: (svc, a) => analyzeAgentMessages(svc, a),
  }),
  defineTool({
    name: "compare_agents",
    description: "Side-by-side stats of 2–10 agents over a period.",
    permission: "crm:read",
    mutates: false,
    input: CompareAgentsInput,
    handler: (svc, a) => compareAgents(svc, a),
  }),
  defineTool({
    name: "update_contact",
    description: "Update a contact's name, email, phone, language or custom fields (merged; null removes a key).",
    permission: "contacts:write",
    mutates: true,
    input: z
      .object({
        contact_id: id("contact"),
        name: z.string().trim().min(1).max(200).optional(),
        email: z.email().optional(),
        phone: z.string().regex(/^\+?[0-9 ()./-]{6,24}$/, "must be a phone number").optional(),
        language: z.string().max(20).optional(),
        custom_fields: z.record(z.string().max(100), z.unknown()).optional(),
      })
      .refine((a) => Object.keys(a).length > 1, { message: "give at least one field to change", path: ["name"] }),
    handler: (svc, { contact_id, custom_fields, ...rest }) => updateContact(svc, contact_id, { ...rest, ...(custom_fields ? { customFields: custom_fields } : {}) }),
  }),
  defineTool({
    name: "update_pipeline_stage",
    description: "Move a contact to a pipeline stage (history and timeline are recorded).",
    permission: "stages:move",
    mutates: true,
    input: z.object({ contact_id: id("contact"), stage_id: id("stage"), reason: z.string().max(500).optional() }),
    handler: (svc, a) => moveContactToStage(svc, a.contact_id, { stageId: a.stage_id, reason: a.reason }),
  }),
  defineTool({
    name: "assign_to_agent",
    description: "Assign a contact (and optionally one of its sessions) to an agent; agent_id null unassigns.",
    permission: "contacts:write",
    mutates: true,
    input: z.object({ contact_id: id("contact"), agent_id: z.uuid().nullable(), session_id: z.uuid().optional() }),
    handler: (svc, a) => assignToAgent(svc, { contactId: a.contact_id, agentId: a.agent_id, sessionId: a.session_id }),
  }),
  defineTool({
    name: "qualify_lead",
    description: "Record a lead qualification (hot/warm/cold/unqualified, optional 0–100 score and reason), optionally moving the contact to a stage.",
    permission: "contacts:write",
    mutates: true,
    input: QualifyLeadInput,
    handler: (svc, a) => qualifyLead(svc, a),
  }),
  defineTool({
    name: "create_note",
    description: "Add a note to a contact (optionally tied to a session).",
    permission: "notes:write",
    mutates: true,
    input: z.object({ contact_id: id("contact"), body: z.string().trim().min(1).max(20_000), session_id: z.uuid().optional(), pinned: z.boolean().default(false) }),
    handler: (svc, a) => createNote(svc, a.contact_id, { body: a.body, sessionId: a.session_id, pinned: a.pinned }),
  }),
  defineTool({
    name: "add_tag",
    description: "Tag a contact, by tag_id or by tag_name (a new name creates the tag). Idempotent.",
    permission: "tags:assign",
    mutates: true,
    input: z
      .object({ contact_id: id("contact"), tag_id: z.uuid().optional(), tag_name: z.string().trim().min(1).max(60).optional() })
      .refine((a) => a.tag_id || a.tag_name, { message: "tag_id or tag_name is required", path: ["tag_id"] }),
    handler: (svc, a) => (a.tag_id ? attachTag(svc, a.contact_id, a.tag_id) : attachTagByName(svc, a.contact_id, a.tag_name!)),
  }),
  defineTool({
    name: "add_to_list",
    description: "Add contacts to a static contact list (existing members are skipped).",
    permission: "lists:manage",
    mutates: true,
    input: z.object({ list_id: id("contact list"), contact_ids: z.array(z.uuid()).min(1).max(500) }),
    handler: (svc, a) => addMembers(svc, a.list_id, a.contact_ids),
  }),
  defineTool({
    name: "send_message",
    description: "Send a WhatsApp message to a contact (queued; delivered through WAHA). Text, or media with a URL.",
    permission: "messages:send",
    mutates: true,
    input: z
      .object({
        contact_id: id("contact"),
        text: z.string().max(4096).optional(),
        channel_id: z.uuid().optional(),
        content_type: z.enum(["text", "image", "video", "voice", "document"]).default("text"),
        media: z.object({ url: z.url(), mimetype: z.string().min(3), filename: z.string().optional() }).optional(),
        reply_to_message_id: z.uuid().optional(),
        agent_id: z.uuid().optional().describe("The AI agent authoring the reply, for agent statistics"),
      })
      .refine((a) => (a.content_type === "text" ? Boolean(a.text?.trim()) : Boolean(a.media)), { message: "text (or media for non-text messages) is required", path: ["text"] }),
    handler: (svc, a) =>
      sendMessage(svc, { contactId: a.contact_id, text: a.text, channelId: a.channel_id, contentType: a.content_type, media: a.media, replyToMessageId: a.reply_to_message_id, agentId: a.agent_id }),
  }),
];

export const toolRegistry = new Map(tools.map((t) => [t.name, t]));
