import { sql } from "drizzle-orm";
import { expect } from "vitest";
import { recordSkipped } from "../../src/services/ai/orchestrate";
import { RulesExtractor } from "../../src/services/memory/extraction";
import { extractDocumentKnowledge } from "../../src/services/memory/knowledge/extract";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { observePixPreference } from "../support/knowledge";
import { memoryContext, uploadAndProcess } from "../support/memory";
import { inboundText, postWaha } from "../support/waha";

export const db = testDatabase();
export type World = Awaited<ReturnType<typeof arrangeWorld>>;

/** A tenant with one of everything the tools read and act on, created through the real API and webhooks. */
export async function arrangeWorld() {
  const t = await createActors(db);
  const token = t.keys.admin;
  const post = async (path: string, body: unknown) => {
    const res = await api(path, { token, body });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const channel = await t.channel();
  const phone = `55119${Math.floor(1e7 + Math.random() * 8e7)}`;
  const contact = await post("/api/v1/contacts", { name: "Mariana Lima", phone: `+${phone}`, email: "mariana@example.test" });
  const other = await post("/api/v1/contacts", { name: "Outro Cliente" });
  const tag = await post("/api/v1/tags", { name: "VIP" });
  const list = await post("/api/v1/contact-lists", { name: "Campanha" });
  const pipeline = await post("/api/v1/pipelines", {
    name: "Vendas",
    stages: [{ name: "Novo" }, { name: "Qualificado" }, { name: "Ganho", kind: "won" }],
  });
  const agent = await post("/api/v1/agents", { kind: "ai", name: "Atendente IA" });
  const human = await post("/api/v1/agents", { kind: "human", name: "Carla", userId: t.user.id });
  // A conversation: three customer messages in one burst, then a reply, then one more message.
  const chat = `${phone}@c.us`;
  const now = Math.floor(Date.now() / 1000) - 600;
  const first = await postWaha(channel, "message", inboundText(chat, "Oi", { timestamp: now }));
  await postWaha(channel, "message", inboundText(chat, "queria saber o preço", { timestamp: now + 5 }));
  await postWaha(
    channel,
    "message",
    inboundText(chat, "", { timestamp: now + 9, hasMedia: true, media: { url: "http://waha.local/files/p.jpg", mimetype: "image/jpeg" } }),
  );
  const reply = await post("/api/v1/messages", {
    contactId: contact.id,
    channelId: channel.id,
    text: "Olá! Custa R$ 99.",
    agentId: agent.id,
  });
  await postWaha(channel, "message", inboundText(chat, "fechado", { timestamp: Math.floor(Date.now() / 1000) + 5 }));
  await post(`/api/v1/contacts/${contact.id}/tags`, { tagId: tag.id });
  await post(`/api/v1/contact-lists/${list.id}/members`, { contactIds: [contact.id] });
  await api(`/api/v1/contacts/${contact.id}/stage`, { token, method: "PUT", body: { stageId: pipeline.stages[0].id } });
  const contractText =
    `# Contrato de prestação de serviços\n\nContratante: Padaria São João (${phone}).\n\n` +
    "O valor total do contrato é de R$ 12.500,00, pago em 5 parcelas.";
  const document = await uploadAndProcess(
    db,
    t,
    { bytes: contractText, name: "contrato.md", type: "text/markdown" },
    { title: "Contrato Padaria São João", documentType: "contract", contactId: contact.id },
  );
  // What the queue's knowledge handlers would leave (run here, not waited for): the document's entities and edges,
  // and one fact about the contact.
  const svc = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
  await extractDocumentKnowledge(svc, new RulesExtractor(), document.id);
  const fact = await observePixPreference(svc, contact.id, first.body.messageId);
  const { rows: entities } = await db.query.execute<{ id: string }>(
    sql`select id from memory_entities where project_id = ${t.project.id} and entity_type = 'money' and normalized_key = 'BRL 12500.00'`,
  );
  // An AI decision on the conversation (agent_executions.get reads it).
  const executionId = crypto.randomUUID();
  await recordSkipped(
    db,
    {
      id: executionId,
      tenantId: t.tenant.id,
      projectId: t.project.id,
      sessionId: first.body.sessionId,
      contactId: contact.id,
      channelId: channel.id,
      messageIds: [first.body.messageId],
    },
    { handled: false, reason: "ai_disabled" },
    "CustomerService",
    new Date(),
  );
  return {
    t,
    channel,
    contact,
    other,
    tag,
    list,
    pipeline,
    agent,
    human,
    sessionId: first.body.sessionId as string,
    firstMessageId: first.body.messageId as string,
    reply,
    document,
    contractText,
    factId: fact!.factId!,
    entityId: entities[0]!.id,
    executionId,
  };
}

/** Every tool: a call that must succeed, with what its result must show. */
export function toolCases(w: World): [string, Record<string, unknown>, (result: any) => void][] {
  const stage = w.pipeline.stages;
  return [
    ["get_contacts", { query: "Mariana" }, (r) => expect(r.contacts.map((c: any) => c.id)).toEqual([w.contact.id])],
    ["get_contact", { contact_id: w.contact.id }, (r) => expect(r.contact.tags.map((t: any) => t.name)).toEqual(["VIP"])],
    ["get_contact_lists", {}, (r) => expect(r.lists.map((l: any) => l.name)).toEqual(["Campanha"])],
    ["get_list_contacts", { list_id: w.list.id }, (r) => expect(r.contacts.map((c: any) => c.id)).toEqual([w.contact.id])],
    ["get_pipelines", {}, (r) => expect(r.pipelines[0].stages.map((s: any) => s.name)).toEqual(["Novo", "Qualificado", "Ganho"])],
    ["get_channels", {}, (r) => expect(r.channels.map((c: any) => c.id)).toEqual([w.channel.id])],
    ["get_agents", { kind: "ai" }, (r) => expect(r.agents.map((a: any) => a.name)).toEqual(["Atendente IA"])],
    ["get_sessions", { contact_id: w.contact.id }, (r) => expect(r.sessions.map((s: any) => s.id)).toEqual([w.sessionId])],
    [
      "get_messages",
      { session_id: w.sessionId, order: "asc", limit: 50 },
      (r) => expect(r.messages.map((m: any) => m.direction)).toEqual(["inbound", "inbound", "inbound", "outbound", "inbound"]),
    ],
    ["get_contact_events", { contact_id: w.contact.id }, (r) => expect(r.events.map((e: any) => e.type)).toContain("tag.added")],
    [
      "list_message_groups",
      { session_id: w.sessionId, window_seconds: 60 },
      (r) => {
        expect(r.groups.map((g: any) => g.message_count)).toEqual([3, 1]);
        expect(r.groups[0]).toMatchObject({
          group_id: w.firstMessageId,
          content_types: ["text", "image"],
          text: "Oi\nqueria saber o preço",
        });
      },
    ],
    [
      "get_message_group",
      { group_id: w.firstMessageId, window_seconds: 60 },
      (r) => {
        expect(r.messages).toHaveLength(3);
        // Our stored copy's URL once the media consumer has stored it (services/media); WAHA's link is never shown.
        expect(r.messages[2].media).toMatchObject({ mimetype: "image/jpeg", filename: null });
        expect(String(r.messages[2].media.url)).not.toContain("waha.local");
      },
    ],
    [
      "get_leads_count",
      { group_by: "stage" },
      (r) => expect(r.buckets).toEqual([{ key: stage[0].id, label: "Novo", pipeline: "Vendas", count: 1 }]),
    ],
    ["get_leads_count", { group_by: "tag" }, (r) => expect(r.buckets.map((b: any) => [b.label, b.count])).toEqual([["VIP", 1]])],
    ["get_leads_count", { group_by: "period", period: "day" }, (r) => expect(r.total).toBe(2)],
    ["get_agent_stats", { agent_id: w.agent.id }, (r) => expect(r.agents[0]).toMatchObject({ agent_id: w.agent.id, messages_sent: 1 })],
    ["get_top_agent", { metric: "messages_sent" }, (r) => expect(r.top.agent_id).toBe(w.agent.id)],
    [
      "analyze_agent_messages",
      { agent_id: w.agent.id },
      (r) => {
        expect(r).toMatchObject({ total: 1, sessions: 1, by_content_type: { text: 1 } });
        expect(r.avg_reply_seconds).toBeGreaterThan(0);
      },
    ],
    ["compare_agents", { agent_ids: [w.agent.id, w.human.id] }, (r) => expect(r.agents.map((a: any) => a.messages_sent)).toEqual([1, 0])],
    [
      "update_contact",
      { contact_id: w.contact.id, custom_fields: { budget: 5000 } },
      (r) => expect(r.contact.custom_fields).toEqual({ budget: 5000 }),
    ],
    [
      "update_pipeline_stage",
      { contact_id: w.contact.id, stage_id: stage[1].id, reason: "interested" },
      (r) => expect(r).toMatchObject({ changed: true, stage_id: stage[1].id }),
    ],
    [
      "assign_to_agent",
      { contact_id: w.contact.id, agent_id: w.agent.id, session_id: w.sessionId },
      (r) => expect(r.assigned_agent_id).toBe(w.agent.id),
    ],
    [
      "qualify_lead",
      { contact_id: w.contact.id, qualification: "hot", score: 90, reason: "asked for price" },
      (r) => expect(r).toMatchObject({ qualification: "hot", score: 90 }),
    ],
    ["create_note", { contact_id: w.contact.id, body: "Cliente quer desconto" }, (r) => expect(r.note.body).toBe("Cliente quer desconto")],
    ["add_tag", { contact_id: w.contact.id, tag_name: "Quente" }, (r) => expect(r.tag.name).toBe("Quente")],
    ["add_to_list", { list_id: w.list.id, contact_ids: [w.other.id] }, (r) => expect(r).toEqual({ added: 1, already_members: 0 })],
    [
      "send_message",
      { contact_id: w.contact.id, text: "Posso ajudar em algo mais?", agent_id: w.agent.id },
      (r) => expect(r.message).toMatchObject({ status: "queued", sent_by_agent_id: w.agent.id }),
    ],
    [
      "search_documents",
      { query: "Qual o valor do contrato?", contact_id: w.contact.id },
      (r) => {
        expect(r.documents[0]).toMatchObject({ document_id: w.document.id, document_type: "contract", page_number: 1, chunk_index: 0 });
        expect(r.documents[0].content).toContain("R$ 12.500,00");
        expect(r).toMatchObject({ total: r.documents.length, query: "Qual o valor do contrato?" });
      },
    ],
    ["get_document", { document_id: w.document.id }, (r) => expect(r.document.text).toBe(w.contractText)],
    [
      "search_memory",
      { query: "valor do contrato", contact_id: w.contact.id },
      (r) => {
        // All of the contact's current facts come with the passages (the one the world stores: services/memory/knowledge).
        expect(r.facts.map((f: any) => [f.fact_key, f.fact_value])).toEqual([["preference.payment.method", "pix"]]);
        expect(r.embeddings.results.map((x: any) => x.document_id)).toContain(w.document.id);
      },
    ],
    [
      "get_contact_facts",
      { contact_id: w.contact.id, include_history: true },
      (r) => expect(r.facts.map((f: any) => [f.fact_key, f.fact_value, f.current])).toEqual([["preference.payment.method", "pix", true]]),
    ],
    [
      "get_document_references",
      { entity: "R$ 12.500,00" },
      (r) => expect(r.documents.map((d: any) => [d.document_id, d.pages])).toEqual([[w.document.id, [1]]]),
    ],
  ];
}

export const MUTATING_TOOLS = [
  "update_contact",
  "update_pipeline_stage",
  "assign_to_agent",
  "qualify_lead",
  "create_note",
  "add_tag",
  "add_to_list",
  "send_message",
];

/** Calls from tenant w that name tenant b's resources: each must be "not found". */
export function foreignCalls(w: World, b: World): [string, Record<string, unknown>][] {
  return [
    ["get_contact", { contact_id: b.contact.id }],
    ["get_list_contacts", { list_id: b.list.id }],
    ["get_messages", { session_id: b.sessionId }],
    ["get_contact_events", { contact_id: b.contact.id }],
    ["list_message_groups", { session_id: b.sessionId }],
    ["get_message_group", { group_id: b.firstMessageId }],
    ["get_agent_stats", { agent_id: b.agent.id }],
    ["analyze_agent_messages", { agent_id: b.agent.id }],
    ["compare_agents", { agent_ids: [b.agent.id, b.human.id] }],
    ["update_contact", { contact_id: b.contact.id, name: "pwned" }],
    ["update_pipeline_stage", { contact_id: w.contact.id, stage_id: b.pipeline.stages[0].id }],
    ["assign_to_agent", { contact_id: b.contact.id, agent_id: null }],
    ["qualify_lead", { contact_id: b.contact.id, qualification: "cold" }],
    ["create_note", { contact_id: b.contact.id, body: "x" }],
    ["add_tag", { contact_id: b.contact.id, tag_name: "x" }],
    ["add_to_list", { list_id: b.list.id, contact_ids: [w.contact.id] }],
    ["send_message", { contact_id: b.contact.id, text: "x" }],
    ["get_document", { document_id: b.document.id }],
    ["get_contact_facts", { contact_id: b.contact.id }],
  ];
}
