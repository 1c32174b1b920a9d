import { listAgentsVerb } from "../services/agents/verbs";
import { agentStatsVerb, analyzeAgentMessagesVerb, compareAgentsVerb, leadsCountVerb, topAgentVerb } from "../services/analytics/verbs";
import { listChannelsVerb } from "../services/channels/verbs";
import { assignContactVerb, getContactVerb, listContactsVerb, updateContactVerb } from "../services/contacts/verbs";
import { qualifyLeadVerb } from "../services/leads/verbs";
import { addListMembersVerb, listContactListsVerb, listListMembersVerb } from "../services/lists/verbs";
import { documentReferencesVerb, listFactsVerb } from "../services/memory/knowledge/verbs";
import { documentContentVerb, searchAllMemoryVerb, searchDocumentsVerb } from "../services/memory/verbs";
import { getMessageGroupVerb, listMessageGroupsVerb } from "../services/message-groups/verbs";
import { listMessagesVerb, sendMessageVerb } from "../services/messages/verbs";
import { createNoteVerb } from "../services/notes/verbs";
import { listPipelinesVerb, moveContactStageVerb } from "../services/pipelines/verbs";
import { listSessionsVerb } from "../services/sessions/verbs";
import { attachTagVerb } from "../services/tags/verbs";
import { contactTimelineVerb } from "../services/timeline/verbs";
import { defineTool, type Tool } from "./registry";

/**
 * The tools AI agents call: names and result shapes from the design document, arguments and permissions from the
 * verbs (snake_case views of their schemas — nothing is re-declared here).
 */
export const tools: Tool[] = [
  defineTool({ name: "get_contacts", verb: listContactsVerb, aliases: { q: "query" }, result: { list: "contacts" } }),
  defineTool({ name: "get_contact", verb: getContactVerb, result: { wrap: "contact" } }),
  defineTool({
    name: "get_contact_lists",
    description: "The project's static contact lists.",
    verb: listContactListsVerb,
    result: { list: "lists" },
  }),
  defineTool({
    name: "get_list_contacts",
    description: "Contacts in a contact list.",
    verb: listListMembersVerb,
    result: { list: "contacts" },
  }),
  defineTool({
    name: "get_pipelines",
    description: "Sales pipelines with their ordered stages.",
    verb: listPipelinesVerb,
    result: { list: "pipelines" },
  }),
  defineTool({
    name: "get_channels",
    description: "WhatsApp channels (WAHA sessions) and their connection status.",
    verb: listChannelsVerb,
    result: { list: "channels" },
  }),
  defineTool({ name: "get_agents", description: "Human and AI agents of the project.", verb: listAgentsVerb, result: { list: "agents" } }),
  defineTool({
    name: "get_sessions",
    description: "Conversation sessions, filtered by contact, channel, agent or status. Newest first.",
    verb: listSessionsVerb,
    result: { list: "sessions" },
  }),
  defineTool({
    name: "get_messages",
    description: "Messages of a session or of a contact (session_id or contact_id is required).",
    verb: listMessagesVerb,
    result: { list: "messages" },
  }),
  defineTool({
    name: "get_contact_events",
    description: "A contact's timeline (created, tags, notes, stage changes, conversations…), newest first.",
    verb: contactTimelineVerb,
    result: { list: "events" },
  }),
  defineTool({ name: "list_message_groups", verb: listMessageGroupsVerb }),
  defineTool({ name: "get_message_group", verb: getMessageGroupVerb }),
  defineTool({ name: "get_leads_count", verb: leadsCountVerb }),
  defineTool({ name: "get_agent_stats", verb: agentStatsVerb }),
  defineTool({ name: "get_top_agent", verb: topAgentVerb }),
  defineTool({ name: "analyze_agent_messages", verb: analyzeAgentMessagesVerb }),
  defineTool({ name: "compare_agents", verb: compareAgentsVerb }),
  defineTool({ name: "update_contact", verb: updateContactVerb, result: { wrap: "contact" } }),
  defineTool({
    name: "update_pipeline_stage",
    description: "Move a contact to a pipeline stage (history and timeline are recorded).",
    verb: moveContactStageVerb,
  }),
  defineTool({ name: "assign_to_agent", verb: assignContactVerb }),
  defineTool({ name: "qualify_lead", verb: qualifyLeadVerb }),
  defineTool({
    name: "create_note",
    description: "Add a note to a contact (optionally tied to a session).",
    verb: createNoteVerb,
    result: { wrap: "note" },
  }),
  defineTool({ name: "add_tag", verb: attachTagVerb, result: { wrap: "tag" } }),
  defineTool({
    name: "add_to_list",
    description: "Add contacts to a static contact list (existing members are skipped).",
    verb: addListMembersVerb,
  }),
  defineTool({
    name: "send_message",
    description: "Send a WhatsApp message to a contact (queued; delivered through WAHA). Text, or media with an http(s) URL.",
    verb: sendMessageVerb,
    result: { wrap: "message" },
  }),
  defineTool({
    name: "search_documents",
    description:
      "Find the passages of the project's documents (contracts, invoices, proposals, manuals…) that answer a question: " +
      "hybrid search (meaning, words, BM25) fused by rank. Each passage names its document, page and chunk, and explains its scores.",
    verb: searchDocumentsVerb,
  }),
  defineTool({
    name: "get_document",
    description: "A document's full text in reading order (rebuilt from its indexed chunks), with its pages.",
    verb: documentContentVerb,
    result: { wrap: "document" },
  }),
  defineTool({
    name: "search_memory",
    description:
      "Search what the CRM remembers about a question — the current facts (with contact_id: all of that contact's, " +
      "those matching the question first) and the documents and conversation messages, fused from vector, keyword, " +
      "BM25 and knowledge-graph search.",
    verb: searchAllMemoryVerb,
  }),
  defineTool({
    name: "get_contact_facts",
    description:
      "What the CRM knows about a contact (preferences, constraints, attributes, events), each with its confidence and sources. " +
      "include_history also returns superseded and deleted facts with why " +
      "(contradicted by a later message, corrected or deleted by a person).",
    verb: listFactsVerb,
    result: { list: "facts" },
  }),
  defineTool({
    name: "get_document_references",
    description:
      "Every document (and page) that mentions an entity — a company, product, person, amount, e-mail, phone or CPF/CNPJ — " +
      "found by its name, an alias or its normalised key (accents, case and legal suffixes do not matter).",
    verb: documentReferencesVerb,
  }),
];

export const toolRegistry = new Map(tools.map((t) => [t.name, t]));
