import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Topic } from "../../src/outbox/events";
import { RulesExtractor } from "../../src/services/memory/extraction";
import { reinforce } from "../../src/services/memory/knowledge/evidence";
import { extractDocumentKnowledge, extractMessageKnowledge } from "../../src/services/memory/knowledge/extract";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { memoryContext, uploadFile } from "../support/memory";
import { makePdf } from "../support/pdf";
import { consumeOutboxEvent } from "../support/queue";
import { inboundText, postWaha } from "../support/waha";

/**
 * The knowledge part of the memory service end to end: messages and documents go through the queue's handlers
 * (consumed explicitly here, never waited for), and the entities, edges and facts they leave are read back through
 * REST and both MCP surfaces.
 */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const rules = new RulesExtractor();

/** Delivers the newest outbox row of `topic` whose payload has key = value, as the queue would. */
async function consumeEvent(t: Actors, topic: Topic, key: string, value: string, extra: Record<string, string> = {}) {
  const result = await consumeOutboxEvent(db, { tenantId: t.tenant.id, projectId: t.project.id }, topic, { [key]: value, ...extra });
  expect(result.explicitAcks).toHaveLength(1);
}

const execute = (token: string, tool_name: string, args: Record<string, unknown> = {}) =>
  api("/v1/mcp/execute", { token, body: { tool_name, arguments: args } });

/** The same call through /mcp (JSON-RPC over Streamable HTTP, JSON response mode). */
async function viaMcp(token: string, name: string, args: Record<string, unknown>) {
  const res = await api("/mcp", {
    token,
    headers: { accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-03-26" },
    body: { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: args } },
  });
  expect(res.status).toBe(200);
  const text = res.body.result.content[0].text as string;
  return { isError: Boolean(res.body.result.isError), body: JSON.parse(text) };
}

async function edgesOf(t: Actors, from: [string, string], relationship: string) {
  const { rows } = await db.query.execute<any>(sql`
    select g.*, g.relationship_strength::float8 as strength, e.normalized_key from memory_graph g
    join memory_entities e on e.id = g.node_to_id
    where g.tenant_id = ${t.tenant.id} and g.node_from_type = ${from[0]} and g.node_from_id = ${from[1]}::uuid
      and g.relationship_type = ${relationship}`);
  return rows;
}

async function entityByKey(t: Actors, type: string, key: string) {
  const { rows } = await db.query.execute<any>(
    sql`select * from memory_entities where tenant_id = ${t.tenant.id} and entity_type = ${type} and normalized_key = ${key}`,
  );
  return rows[0];
}

const CONTRACT_PAGES = [
  "PROPOSTA COMERCIAL 2026/31\nCliente: Padaria Central. Objeto: automação do atendimento.",
  "Fornecedor: ACME S.A., CNPJ 11.222.333/0001-81.\nValor mensal de R$ 10.000,00, com reajuste anual.",
  "Garantia de 12 meses. Suporte em horário comercial.",
];

describe("memory knowledge: entities, graph and facts", () => {
  let t: Actors;
  let other: Actors;
  let channel: Awaited<ReturnType<Actors["channel"]>>;
  let chat: string;
  let contactId: string;
  const messages: string[] = [];

  /** A message from the customer, through the webhook, and its message.created handled as the queue would. */
  async function say(text: string) {
    const res = await postWaha(channel, "message", inboundText(chat, text));
    expect(res.status).toBe(200);
    const messageId = res.body.messageId as string;
    contactId = res.body.contactId;
    await consumeEvent(t, "message.created", "messageId", messageId);
    messages.push(messageId);
    return messageId;
  }
  const ctx = () => memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
  const facts = async (params = "") =>
    (await api(`/api/v1/contacts/${contactId}/facts${params}`, { token: t.keys.readonly })).body.data as any[];

  beforeAll(async () => {
    [t, other] = await Promise.all([createActors(db), createActors(db)]);
    channel = await t.channel();
    chat = `55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`;
  });

  it("a statement becomes an entity, a relation and facts; repeated evidence strengthens one edge, a redelivery does not", async () => {
    const first = await say("Oi! Eu trabalho na Acme Ltda e prefiro pagar com PIX.");
    const acme = await entityByKey(t, "company", "acme");
    expect(acme).toMatchObject({ name: "Acme Ltda", mention_count: 1 });
    let [worksAt] = await edgesOf(t, ["contact", contactId], "works_at");
    expect(worksAt).toMatchObject({ node_to_id: acme.id, evidence_count: 1 });
    const s1 = worksAt.strength as number;
    // The message's own embedding (the chunk) mentions the company: the graph channel's way in.
    const { rows: chunk } = await db.query.execute<any>(sql`select id from memory_embeddings where message_id = ${first}`);
    expect((await edgesOf(t, ["chunk", chunk[0].id], "mentions")).map((e) => e.normalized_key)).toContain("acme");
    const current = await facts();
    expect(current.map((f) => [f.factKey, f.factValue, f.sourceCount])).toEqual([
      ["attribute.employer", "acme", 1],
      ["preference.payment.method", "pix", 1],
    ]);
    expect(current[1]).toMatchObject({ origin: "extracted", extractor: rules.id, sourceIds: [first], current: true });

    const second = await say("Como falei, trabalho na ACME.");
    [worksAt] = await edgesOf(t, ["contact", contactId], "works_at");
    expect(worksAt.evidence_count).toBe(2);
    expect(worksAt.strength).toBeCloseTo(reinforce(s1, 0.85), 5);
    expect(worksAt.strength).toBeGreaterThan(s1);
    const employer = (await facts()).find((f) => f.factKey === "attribute.employer");
    expect(employer).toMatchObject({ sourceCount: 2, sourceIds: [first, second] });
    expect(employer.confidence).toBeGreaterThan(current[0].confidence);

    // The same event delivered again (deduplicated by the consumer) and the same extraction run again (by hand):
    // nothing is counted twice.
    await consumeEvent(t, "message.created", "messageId", second);
    await extractMessageKnowledge(ctx(), rules, second);
    await extractMessageKnowledge(ctx(), rules, first);
    const edges = await edgesOf(t, ["contact", contactId], "works_at");
    expect(edges).toHaveLength(1);
    expect(edges[0]).toMatchObject({ evidence_count: 2 });
    expect(edges[0].strength).toBeCloseTo(worksAt.strength, 6);
    expect((await entityByKey(t, "company", "acme")).mention_count).toBe(2);
    expect((await facts()).find((f) => f.factKey === "attribute.employer")).toMatchObject({ sourceCount: 2 });
  });

  it("two runs of one extraction at once leave one edge and one current fact", async () => {
    const { rows } = await db.query.execute<any>(sql`select count(*)::int as n from memory_facts where contact_id = ${contactId}`);
    await Promise.all([extractMessageKnowledge(ctx(), rules, messages[0]!), extractMessageKnowledge(ctx(), rules, messages[0]!)]);
    const after = await db.query.execute<any>(sql`select count(*)::int as n from memory_facts where contact_id = ${contactId}`);
    expect(after.rows[0].n).toBe(rows[0].n);
    expect(await edgesOf(t, ["contact", contactId], "works_at")).toHaveLength(1);
  });

  it("a contradicting fact supersedes the current one; include_history shows both with why", async () => {
    const pix = (await facts()).find((f) => f.factKey === "preference.payment.method");
    const boletoMessage = await say("Mudei de ideia: prefiro pagar com boleto.");
    const current = (await facts("?factType=preference")).filter((f) => f.factKey === "preference.payment.method");
    expect(current).toHaveLength(1);
    expect(current[0]).toMatchObject({ factValue: "boleto", sourceIds: [boletoMessage], current: true });
    const history = (await facts("?includeHistory=true")).filter((f) => f.factKey === "preference.payment.method");
    expect(history.map((f) => [f.factValue, f.current, f.invalidatedReason])).toEqual([
      ["boleto", true, null],
      ["pix", false, "contradicted"],
    ]);
    expect(history[1]).toMatchObject({ id: pix.id, supersededById: current[0].id, contradictingSourceId: boletoMessage });
    expect(history[1].invalidatedAt).toBeTruthy();
    // The older message read again does not bring PIX back: it already counted.
    await extractMessageKnowledge(ctx(), rules, messages[0]!);
    expect((await facts()).find((f) => f.factKey === "preference.payment.method").factValue).toBe("boleto");
    const { rows: events } = await db.query.execute<any>(
      sql`select payload from outbox where topic = 'fact.superseded' and payload->>'factId' = ${pix.id}`,
    );
    expect(events.map((e) => e.payload)).toEqual([
      { factId: pix.id, supersededById: current[0].id, contactId, factKey: "preference.payment.method", reason: "contradicted" },
    ]);

    // get_contact_facts on both MCP surfaces, snake_case like every tool.
    const args = { contact_id: contactId, fact_type: "preference", include_history: true };
    const viaExecute = await execute(t.keys.readonly, "get_contact_facts", args);
    expect(viaExecute.status).toBe(200);
    const listed = viaExecute.body.result.facts.filter((f: any) => f.fact_key === "preference.payment.method");
    expect(listed.map((f: any) => [f.fact_value, f.invalidated_reason])).toEqual([
      ["boleto", null],
      ["pix", "contradicted"],
    ]);
    expect(listed[1].superseded_by_id).toBe(listed[0].id);
    const streamed = await viaMcp(t.keys.readonly, "get_contact_facts", args);
    expect(streamed.isError).toBe(false);
    expect(streamed.body.facts.map((f: any) => f.id)).toEqual(viaExecute.body.result.facts.map((f: any) => f.id));
    const current2 = await viaMcp(t.keys.readonly, "get_contact_facts", { contact_id: contactId });
    expect(current2.body.facts.every((f: any) => f.current)).toBe(true);
  });

  it("an edited message is read again: the fact resting only on it follows the edit", async () => {
    const msg = inboundText(chat, "Meu e-mail é joana@antigo.example");
    const created = await postWaha(channel, "message", msg);
    const messageId = created.body.messageId as string;
    await consumeEvent(t, "message.created", "messageId", messageId);
    expect((await facts()).find((f) => f.factKey === "attribute.contact.email").factValue).toBe("joana@antigo.example");
    await postWaha(channel, "message.edited", { id: `e-${messageId}`, body: "Meu e-mail é joana@novo.example", editedMessageId: msg.id });
    await consumeEvent(t, "message.edited", "messageId", messageId);
    const history = (await facts("?includeHistory=true")).filter((f) => f.factKey === "attribute.contact.email");
    expect(history.map((f) => [f.factValue, f.invalidatedReason])).toEqual([
      ["joana@novo.example", null],
      ["joana@antigo.example", "contradicted"],
    ]);
  });

  it("a person corrects and deletes facts over REST: superseded, never overwritten, and audited in the timeline", async () => {
    const boleto = (await facts()).find((f) => f.factKey === "preference.payment.method");
    expectError(
      await api(`/api/v1/facts/${boleto.id}`, { method: "PATCH", token: t.keys.readonly, body: { factValue: "pix" } }),
      403,
      "forbidden",
    );
    expectError(await api(`/api/v1/facts/${boleto.id}`, { method: "DELETE", token: t.keys.readonly }), 403, "forbidden");
    expectError(await api(`/api/v1/facts/${boleto.id}`, { method: "PATCH", token: t.keys.user, body: {} }), 400, "invalid_request");
    const bad = await api(`/api/v1/facts/${boleto.id}`, { method: "PATCH", token: t.keys.user, body: { factValue: "bitcoin" } });
    expect(expectError(bad, 422, "unprocessable").details[0].path).toBe("factValue");

    const patched = await api(`/api/v1/facts/${boleto.id}`, {
      method: "PATCH",
      token: t.keys.user,
      body: { factValue: "cartão de crédito", factText: "Cliente confirmou por telefone: cartão de crédito" },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      factKey: "preference.payment.method",
      factValue: "credit_card",
      origin: "human",
      confidence: 1,
      sourceIds: [],
      current: true,
    });
    const history = (await facts("?includeHistory=true")).filter((f) => f.factKey === "preference.payment.method");
    expect(history.map((f) => [f.factValue, f.invalidatedReason])).toEqual([
      ["credit_card", null],
      ["boleto", "corrected"],
      ["pix", "contradicted"],
    ]);
    expect(history[1].supersededById).toBe(patched.body.id);
    // Only the current fact can be changed.
    expectError(
      await api(`/api/v1/facts/${boleto.id}`, { method: "PATCH", token: t.keys.admin, body: { factValue: "pix" } }),
      409,
      "conflict",
    );

    expect((await api(`/api/v1/facts/${patched.body.id}`, { method: "DELETE", token: t.keys.user })).status).toBe(204);
    expect((await facts()).map((f) => f.factKey)).not.toContain("preference.payment.method");
    const all = (await facts("?includeHistory=true")).filter((f) => f.factKey === "preference.payment.method");
    expect(all.map((f) => f.invalidatedReason)).toEqual(["deleted", "corrected", "contradicted"]);
    expectError(await api(`/api/v1/facts/${patched.body.id}`, { method: "DELETE", token: t.keys.admin }), 409, "conflict");

    const timeline = (await api(`/api/v1/contacts/${contactId}/timeline`, { token: t.keys.readonly })).body.data;
    const corrected = timeline.find((e: any) => e.type === "fact.corrected");
    expect(corrected).toMatchObject({
      actorType: "api_key",
      payload: {
        factId: patched.body.id,
        previousFactId: boleto.id,
        factKey: "preference.payment.method",
        previousValue: "boleto",
        value: "credit_card",
      },
    });
    expect(timeline.find((e: any) => e.type === "fact.deleted")).toMatchObject({
      payload: { factId: patched.body.id, previousValue: "credit_card" },
    });
    const { rows } = await db.query.execute<any>(
      sql`select topic, payload from outbox where topic in ('fact.superseded', 'fact.deleted') and payload->>'contactId' = ${contactId}
          and (payload->>'reason' is distinct from 'contradicted') order by id`,
    );
    expect(rows.map((r) => [r.topic, r.payload.reason ?? null])).toEqual([
      ["fact.superseded", "corrected"],
      ["fact.deleted", null],
    ]);
  });

  describe("documents", () => {
    let documentId: string;
    beforeAll(async () => {
      const up = await uploadFile(
        t.keys.admin,
        { bytes: makePdf(CONTRACT_PAGES), name: "proposta.pdf", type: "application/pdf" },
        { title: "Proposta Padaria Central", documentType: "proposal" },
      );
      documentId = up.body.id;
      await consumeEvent(t, "document.uploaded", "documentId", documentId);
      await consumeEvent(t, "document.status_changed", "documentId", documentId, { status: "ready" });
    });

    it("get_document_references finds the company named in a PDF, with its page, however it is spelled", async () => {
      // The document says that, and when, the knowledge graph read it.
      const doc = await api(`/api/v1/documents/${documentId}`, { token: t.keys.readonly });
      expect(doc.body.knowledge).toMatchObject({ extractor: rules.id, entities: 3, mentions: 3 });
      expect(Date.parse(doc.body.knowledge.extractedAt)).not.toBeNaN();
      for (const entity of ["Acme", "ACME S.A.", "acmé ltda.", "Acme, Inc."]) {
        const res = await api(`/api/v1/document-references?${new URLSearchParams({ entity })}`, { token: t.keys.readonly });
        expect(res.status, entity).toBe(200);
        expect(
          res.body.matches.map((m: any) => m.normalizedKey),
          entity,
        ).toEqual(["acme"]);
        expect(res.body.documents, entity).toEqual([
          expect.objectContaining({ documentId, title: "Proposta Padaria Central", documentType: "proposal", pages: [2], mentions: 1 }),
        ]);
      }
      // A money amount and a CNPJ by their keys, however they are written.
      for (const entity of ["R$ 10 mil", "BRL 10000.00", "11222333000181"]) {
        const res = await api(`/api/v1/document-references?${new URLSearchParams({ entity })}`, { token: t.keys.readonly });
        expect(
          res.body.documents.map((d: any) => [d.documentId, d.pages]),
          entity,
        ).toEqual([[documentId, [2]]]);
      }
      const none = await api("/api/v1/document-references?entity=Globex", { token: t.keys.readonly });
      expect(none.body).toMatchObject({ matches: [], documents: [], total: 0 });
      // Both MCP surfaces, snake_case.
      const viaExecute = await execute(t.keys.readonly, "get_document_references", { entity: "acme s/a" });
      expect(viaExecute.body.result.documents[0]).toMatchObject({ document_id: documentId, pages: [2] });
      const streamed = await viaMcp(t.keys.readonly, "get_document_references", { entity: "R$ 10.000,00" });
      expect(streamed.body.documents[0]).toMatchObject({ document_id: documentId, pages: [2] });
    });

    it("a document read again gives the same edges, not stronger ones", async () => {
      const before = await edgesOf(t, ["document", documentId], "mentions");
      expect(before.map((e) => e.normalized_key).sort()).toEqual(["BRL 10000.00", "acme", "cnpj:11222333000181"]);
      await consumeEvent(t, "document.status_changed", "documentId", documentId, { status: "ready" });
      await extractDocumentKnowledge(ctx(), rules, documentId);
      const after = await edgesOf(t, ["document", documentId], "mentions");
      expect(after.map((e) => [e.normalized_key, e.evidence_count, e.strength]).sort()).toEqual(
        before.map((e) => [e.normalized_key, e.evidence_count, e.strength]).sort(),
      );
      expect(after.find((e) => e.normalized_key === "acme").metadata).toMatchObject({ pages: [2] });
      expect((await entityByKey(t, "company", "acme")).mention_count).toBe(3);
    });

    it("entities by name, alias-like spelling or key, and an entity's graph to depth 2", async () => {
      const search = async (params: Record<string, string>) =>
        (await api(`/api/v1/entities?${new URLSearchParams(params)}`, { token: t.keys.readonly })).body.data as any[];
      for (const q of ["ACME S/A", "acm", "Acmé"])
        expect((await search({ q }))[0], q).toMatchObject({ entityType: "company", name: "Acme Ltda" });
      expect((await search({ q: "R$ 10.000,00" }))[0]).toMatchObject({ entityType: "money", normalizedKey: "BRL 10000.00" });
      expect((await search({ type: "money" })).map((e) => e.normalizedKey)).toEqual(["BRL 10000.00"]);
      expect(await search({ q: "Globex" })).toEqual([]);
      const acme = await entityByKey(t, "company", "acme");

      const graph = (await api(`/api/v1/entities/${acme.id}/graph`, { token: t.keys.readonly })).body;
      expect(graph.entity).toMatchObject({ id: acme.id, name: "Acme Ltda" });
      const near = graph.edges.filter((e: any) => e.depth === 1);
      expect(near.map((e: any) => `${e.fromType}-${e.relationshipType}`).sort()).toEqual(
        expect.arrayContaining(["chunk-mentions", "contact-works_at", "document-mentions"]),
      );
      expect(near.every((e: any) => e.toId === acme.id)).toBe(true);
      const contactNode = graph.nodes.find((n: any) => n.id === contactId);
      expect(contactNode).toMatchObject({ type: "contact", depth: 1 });
      // Two hops: the document that names Acme also names the amount.
      const money = await entityByKey(t, "money", "BRL 10000.00");
      expect(graph.edges.filter((e: any) => e.depth === 2 && e.toId === money.id).map((e: any) => [e.fromType, e.fromId])).toContainEqual([
        "document",
        documentId,
      ]);
      expect(graph.nodes.find((n: any) => n.id === money.id)).toMatchObject({ type: "money", depth: 2, label: "R$ 10.000,00" });
      expect(graph.nodes.find((n: any) => n.id === documentId)).toMatchObject({ label: "Proposta Padaria Central" });
      const shallow = (await api(`/api/v1/entities/${acme.id}/graph?depth=1`, { token: t.keys.readonly })).body;
      expect(shallow.edges.every((e: any) => e.depth === 1)).toBe(true);
      expect((await api(`/api/v1/entities/${acme.id}/graph?limit=2`, { token: t.keys.readonly })).body.edges).toHaveLength(2);
    });

    it("another tenant never sees these entities, edges or facts", async () => {
      const acme = await entityByKey(t, "company", "acme");
      const fact = (await facts())[0];
      expect((await api("/api/v1/entities", { token: other.keys.admin })).body.data).toEqual([]);
      expect((await api("/api/v1/entities?q=acme", { token: other.keys.admin })).body.data).toEqual([]);
      expectError(await api(`/api/v1/entities/${acme.id}/graph`, { token: other.keys.admin }), 404, "not_found");
      expectError(await api(`/api/v1/contacts/${contactId}/facts`, { token: other.keys.admin }), 404, "not_found");
      expectError(
        await api(`/api/v1/facts/${fact.id}`, { method: "PATCH", token: other.keys.admin, body: { factText: "x" } }),
        404,
        "not_found",
      );
      expectError(await api(`/api/v1/facts/${fact.id}`, { method: "DELETE", token: other.keys.admin }), 404, "not_found");
      const refs = await api(`/api/v1/document-references?entity=${acme.id}`, { token: other.keys.admin });
      expect(refs.body).toMatchObject({ matches: [], documents: [] });
      expect((await execute(other.keys.admin, "get_contact_facts", { contact_id: contactId })).status).toBe(404);
      const streamed = await viaMcp(other.keys.admin, "get_contact_facts", { contact_id: contactId });
      expect(streamed).toMatchObject({ isError: true, body: { error: { code: "not_found" } } });
      expect((await execute(other.keys.admin, "get_document_references", { entity: "Acme" })).body.result.documents).toEqual([]);
      // By id, in the owner's project, it is found.
      expect((await api(`/api/v1/document-references?entity=${acme.id}`, { token: t.keys.admin })).body.documents).toHaveLength(1);
    });

    it("bad arguments are named on REST and MCP", async () => {
      expectError(await api("/api/v1/document-references", { token: t.keys.admin }), 400, "invalid_request");
      expectError(await api(`/api/v1/entities/not-a-uuid/graph`, { token: t.keys.admin }), 400, "invalid_request");
      expectError(await api(`/api/v1/entities/${crypto.randomUUID()}/graph?depth=3`, { token: t.keys.admin }), 400, "invalid_request");
      const bad = await execute(t.keys.admin, "get_contact_facts", { contact_id: "x", include_history: "maybe" });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details.map((d: any) => d.path).sort()).toEqual(["contact_id", "include_history"]);
      const missing = await viaMcp(t.keys.admin, "get_document_references", {});
      expect(missing.isError).toBe(true);
      expect(missing.body.error.details.map((d: any) => d.path)).toEqual(["entity"]);
    });
  });
});
