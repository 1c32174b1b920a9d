import { env, exports } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { Topic } from "../../src/outbox/events";
import { MAX_DOCUMENT_BYTES } from "../../src/services/memory/deps";
import { extractDocument } from "../../src/services/memory/documents/extract";
import { fullText } from "../../src/services/memory/documents/pages";
import { failUnfinishedDocuments, processDocument, uploadDocument } from "../../src/services/memory/documents/service";
import { searchMemory } from "../../src/services/memory/search/service";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { memoryContext, uploadAndProcess, uploadFile } from "../support/memory";
import { makePdf } from "../support/pdf";
import { consumeOutboxEvent } from "../support/queue";
import { inboundText, postWaha } from "../support/waha";

/**
 * The memory service end to end in workerd against the real database: upload → queue → extract → chunk → embed →
 * hybrid search, and the rules around it (duplicates, limits, tenant and project walls, model walls, RRF).
 */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

const CONTRACT_PAGES = [
  "CONTRATO DE PRESTACAO DE SERVICOS No 2026/114\nContratante: Padaria Sao Joao Ltda., CNPJ 12.345.678/0001-90.\n" +
    "Contratada: Ventros Tecnologia. Objeto: atendimento automatizado por WhatsApp.",
  "Clausula 4 - Do preco. O valor total do contrato e de R$ 12.500,00 (doze mil e quinhentos reais), " +
    "pagos em 5 parcelas mensais de R$ 2.500,00 com vencimento todo dia 10.",
  "Clausula 9 - Do foro. Fica eleito o foro da comarca de Sao Paulo para dirimir quaisquer duvidas.",
];

const consumeEvent = (t: Actors, topic: Topic, key: string, value: string) =>
  consumeOutboxEvent(db, { tenantId: t.tenant.id, projectId: t.project.id }, topic, { [key]: value });

/** The stored original of a document (R2), as uploaded. */
async function fileBytes(documentId: string) {
  const { rows } = await db.query.execute<{ storage_key: string }>(sql`select storage_key from documents where id = ${documentId}`);
  return new Uint8Array(await (await env.DOCUMENTS.get(rows[0]!.storage_key))!.arrayBuffer());
}

const search = (token: string, params: Record<string, string>) => api(`/api/v1/memory/search?${new URLSearchParams(params)}`, { token });

describe("memory: documents and hybrid search", () => {
  let t: Actors;
  let other: Actors;
  let contractId: string;
  beforeAll(async () => {
    [t, other] = await Promise.all([createActors(db), createActors(db)]);
    const up = await uploadFile(
      t.keys.user,
      { bytes: makePdf(CONTRACT_PAGES), name: "contrato-padaria.pdf", type: "application/pdf" },
      { title: "Contrato Padaria São João", documentType: "contract" },
    );
    expect(up.status).toBe(202);
    expect(up.body).toMatchObject({ status: "pending", duplicate: false, mimeType: "application/pdf", documentType: "contract" });
    expect(up.body).not.toHaveProperty("storageKey");
    contractId = up.body.id;
    // The queue's handler does the work, never the request.
    const result = await consumeEvent(t, "document.uploaded", "documentId", contractId);
    expect(result.explicitAcks).toHaveLength(1);
  });

  it("a PDF upload becomes ready, page by page, and search_documents finds the page with the amount", async () => {
    const doc = (await api(`/api/v1/documents/${contractId}`, { token: t.keys.readonly })).body;
    expect(doc).toMatchObject({ status: "ready", pageCount: 3, error: null, embeddingModel: "ventros/offline-feature-hash-768-v1" });
    expect(doc.chunkCount).toBeGreaterThanOrEqual(3);
    const { rows: events } = await db.query.execute<{ status: string }>(
      sql`select payload->>'status' as status from outbox
          where topic = 'document.status_changed' and payload->>'documentId' = ${contractId} order by id`,
    );
    expect(events.map((e) => e.status)).toEqual(["processing", "ready"]);

    const res = await api("/v1/mcp/execute", {
      token: t.keys.readonly,
      body: { tool_name: "search_documents", arguments: { query: "Qual o valor do contrato que enviamos?", limit: 3 } },
    });
    expect(res.status).toBe(200);
    const top = res.body.result.documents[0];
    expect(top).toMatchObject({ document_id: contractId, document_title: "Contrato Padaria São João", page_number: 2 });
    expect(top.content).toContain("R$ 12.500,00");
    expect(Object.keys(top.scores.channels).sort()).toEqual(["bm25", "keyword", "vector"]);
    expect(res.body.result.models).toMatchObject({ semantic: false, reranker: null });
    expect(res.body.result.reranked).toBe(false);
  });

  it("get_document gives back the exact extracted text, with its pages", async () => {
    const expected = await extractDocument(makePdf(CONTRACT_PAGES), "application/pdf");
    const rest = (await api(`/api/v1/documents/${contractId}/content`, { token: t.keys.readonly })).body;
    expect(rest.text).toBe(fullText(expected.pages));
    expect(rest.pages).toEqual(expected.pages);
    const mcp = await api("/v1/mcp/execute", {
      token: t.keys.readonly,
      body: { tool_name: "get_document", arguments: { document_id: contractId } },
    });
    expect(mcp.body.result.document.text).toBe(rest.text);
  });

  it("the same file again is the same document: not stored or ingested twice", async () => {
    const again = await uploadFile(t.keys.admin, { bytes: makePdf(CONTRACT_PAGES), name: "copia.pdf", type: "application/pdf" });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ id: contractId, duplicate: true, status: "ready" });
    const { rows } = await db.query.execute<{ n: number }>(
      sql`select count(*)::int as n from documents where project_id = ${t.project.id} and sha256 = ${again.body.sha256}`,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it("refuses what it cannot take, with a clear 4xx: too large, unknown type, not a form, empty, corrupt", async () => {
    const big = await uploadFile(t.keys.admin, {
      bytes: new Uint8Array(MAX_DOCUMENT_BYTES + 1).fill(65),
      name: "big.txt",
      type: "text/plain",
    });
    expectError(big as never, 413, "payload_too_large");
    const zip = await uploadFile(t.keys.admin, {
      bytes: new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0xff, 0]),
      name: "a.zip",
      type: "application/zip",
    });
    expectError(zip as never, 415, "unsupported_media_type");
    expect(zip.body.error.details.accepted).toEqual(["application/pdf", "text/plain", "text/markdown"]);
    const json = await api("/api/v1/documents", { token: t.keys.admin, body: { file: "x" } });
    expectError(json, 415, "unsupported_media_type");
    const empty = await uploadFile(t.keys.admin, { bytes: "", name: "e.txt", type: "text/plain" });
    expectError(empty as never, 400, "invalid_request");
    const noFile = await uploadFile(t.keys.admin, { bytes: "x", name: "x.txt", type: "text/plain" }, { documentType: "nonsense" });
    expectError(noFile as never, 400, "invalid_request");
    // A truncated PDF is accepted as a file and fails processing with a reason a person can act on.
    const broken = makePdf(["Contrato quebrado"]).slice(0, 200);
    const up = await uploadFile(t.keys.admin, { bytes: broken, name: "broken.pdf", type: "application/pdf" });
    expect(up.status).toBe(202);
    await consumeEvent(t, "document.uploaded", "documentId", up.body.id);
    const failed = (await api(`/api/v1/documents/${up.body.id}`, { token: t.keys.admin })).body;
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/PDF/);
    expectError(await api(`/api/v1/documents/${up.body.id}/content`, { token: t.keys.admin }), 409, "conflict");
  });

  it("a user cannot attach a document to a contact assigned to someone else", async () => {
    const contact = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Atribuído" } })).body;
    const agent = (await api("/api/v1/agents", { token: t.keys.admin, body: { kind: "ai", name: "Bot" } })).body;
    await db.query.execute(sql`update contacts set assigned_agent_id = ${agent.id} where id = ${contact.id}`);
    const up = await uploadFile(t.keys.user, { bytes: "proposta", name: "p.txt", type: "text/plain" }, { contactId: contact.id });
    expectError(up as never, 403, "forbidden");
    expect(
      (await uploadFile(t.keys.manager, { bytes: `proposta ${contact.id}`, name: "p.txt", type: "text/plain" }, { contactId: contact.id }))
        .status,
    ).toBe(202);
  });

  it("roles: readonly cannot upload, a user cannot delete", async () => {
    expectError((await uploadFile(t.keys.readonly, { bytes: "x", name: "x.txt", type: "text/plain" })) as never, 403, "forbidden");
    expectError(await api(`/api/v1/documents/${contractId}`, { token: t.keys.user, method: "DELETE" }), 403, "forbidden");
  });

  it("no channel and no fusion ever returns another tenant's or another project's rows", async () => {
    // The other tenant holds the very same contract; a second project of our tenant holds a look-alike.
    await uploadAndProcess(db, other, { bytes: makePdf(CONTRACT_PAGES), name: "same.pdf", type: "application/pdf" });
    const [project] = (
      await db.query.execute<{ id: string }>(
        sql`insert into projects (id, tenant_id, name, slug)
            values (gen_random_uuid(), ${t.tenant.id}, 'Second', ${`second-${crypto.randomUUID().slice(0, 8)}`})
            returning id`,
      )
    ).rows;
    const second = memoryContext(db, { tenantId: t.tenant.id, projectId: project!.id });
    const twin = await uploadDocument(second, {
      content: new TextEncoder().encode(CONTRACT_PAGES.join("\n\n")),
      filename: "twin.txt",
      mimeType: "text/plain",
    });
    await processDocument(second, twin.id);

    // Where every hit lives, read back from the database (the live queue may still be adding our own chunks).
    const homes = async (ids: string[]) =>
      (
        await db.query.execute<{ tenant_id: string; project_id: string }>(
          sql`select tenant_id, project_id from memory_embeddings where id in ${sql.raw(`(${ids.map((id) => `'${id}'`).join(",")})`)}`,
        )
      ).rows;
    for (const channels of ["vector", "keyword", "bm25", "recent", "vector,keyword,bm25,recent"]) {
      const res = await search(t.keys.admin, { query: "valor total do contrato Padaria", channels, limit: "50" });
      expect(res.status, channels).toBe(200);
      expect(res.body.results.length, channels).toBeGreaterThan(0);
      const found = await homes(res.body.results.map((h: any) => h.id));
      expect(found).toHaveLength(res.body.results.length);
      for (const home of found) expect(home, channels).toEqual({ tenant_id: t.tenant.id, project_id: t.project.id });
    }
    // And from the other side: their search never shows our document.
    const theirs = await api("/v1/mcp/execute", {
      token: other.keys.admin,
      body: { tool_name: "search_documents", arguments: { query: "valor do contrato", limit: 50 } },
    });
    expect(theirs.body.result.documents.map((d: any) => d.document_id)).not.toContain(contractId);
    expect((await api(`/api/v1/documents/${contractId}`, { token: other.keys.admin })).status).toBe(404);
  });

  it("vectors of another model are never compared, however close", async () => {
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const query = "cláusula secreta do modelo antigo";
    const [vector] = await ctx.memory!.embedder.embed([query], "query");
    // The exact query vector, stored as if by another model: the best possible match, and not comparable.
    await db.query.execute(sql`
      insert into memory_embeddings (id, tenant_id, project_id, content_type, content_text, embedding, embedding_model)
      values (gen_random_uuid(), ${t.tenant.id}, ${t.project.id}, 'document', 'zzz',
              ${`[${vector!.join(",")}]`}::vector, 'other/model-v0')`);
    const res = await searchMemory(ctx, { query, limit: 50, channels: ["vector"] });
    expect(res.results.every((r) => r.content !== "zzz")).toBe(true);
    expect(res.results.length).toBeGreaterThan(0);
  });

  it("a search is one database round trip, whatever the channels and filters", async () => {
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    for (const channels of [["vector"], ["keyword", "bm25"], ["vector", "keyword", "bm25", "recent"]] as const) {
      const before = ctx.db.roundTrips;
      const res = await searchMemory(ctx, { query: "valor do contrato", limit: 5, channels: [...channels], documentType: "contract" });
      expect(res.results.length, channels.join()).toBeGreaterThan(0);
      expect(ctx.db.roundTrips - before, channels.join()).toBe(1);
    }
  });

  it("memory.reembed moves rows of an old model to the configured one, batch by batch, then records the model", async () => {
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const before = await searchMemory(ctx, { query: "valor total do contrato", limit: 5, channels: ["vector"] });
    await db.query.execute(sql`update memory_embeddings set embedding_model = 'old/model-v1' where document_id = ${contractId}`);
    // Rows of another model are out of the vector channel until they are moved.
    const hidden = await searchMemory(ctx, { query: "valor total do contrato", limit: 5, channels: ["vector"] });
    expect(hidden.results.map((r) => r.documentId)).not.toContain(contractId);
    const first = await api("/api/v1/memory/reembed", { token: t.keys.admin, body: { batchSize: 1 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ model: "ventros/offline-feature-hash-768-v1", updated: 1, done: false });
    let last = first.body;
    while (!last.done) last = (await api("/api/v1/memory/reembed", { token: t.keys.admin, body: { batchSize: 50 } })).body;
    expect(last.remaining).toBe(0);
    const after = await searchMemory(ctx, { query: "valor total do contrato", limit: 5, channels: ["vector"] });
    // The same vectors as before the move (same model, same input text): the same chunks with the same scores.
    const contract = (r: Awaited<typeof before>) =>
      r.results.filter((x) => x.documentId === contractId).map((x) => [x.id, x.scores.channels.vector?.score]);
    expect(contract(after)).toEqual(contract(before));
    expect(contract(after).length).toBeGreaterThan(0);
    const { rows } = await db.query.execute<any>(sql`select embedding_model from memory_project_state where project_id = ${t.project.id}`);
    expect(rows[0].embedding_model).toBe("ventros/offline-feature-hash-768-v1");
    expectError(await api("/api/v1/memory/reembed", { token: t.keys.manager, body: {} }), 403, "forbidden");
  });

  it("fuses by Reciprocal Rank Fusion: Σ weight / (k + rank), as computed by hand", async () => {
    const res = await search(t.keys.admin, {
      query: "valor do contrato parcelas",
      channels: "vector,keyword,bm25",
      rrfK: "10",
      vectorWeight: "2",
      keywordWeight: "0.5",
      bm25Weight: "1",
      limit: "20",
    });
    const weights: Record<string, number> = { vector: 2, keyword: 0.5, bm25: 1 };
    expect(res.body.results.length).toBeGreaterThan(1);
    for (const hit of res.body.results) {
      const byHand = Object.entries<any>(hit.scores.channels).reduce((sum, [ch, { rank }]) => sum + weights[ch]! / (10 + rank), 0);
      expect(hit.scores.fused).toBeCloseTo(byHand, 10);
    }
    const fused = res.body.results.map((h: any) => h.scores.fused);
    expect(fused).toEqual([...fused].sort((a, b) => b - a));
    // A hand example: first in vector and bm25, third in keyword → 2/11 + 1/11 + 0.5/13.
    const sample = { vector: { rank: 1 }, bm25: { rank: 1 }, keyword: { rank: 3 } };
    expect(Object.entries(sample).reduce((s, [ch, { rank }]) => s + weights[ch]! / (10 + rank), 0)).toBeCloseTo(
      2 / 11 + 1 / 11 + 0.5 / 13,
      12,
    );
  });

  it("keyword search matches any meaningful word, honours quoted phrases and -exclusions, and folds accents", async () => {
    const any = await search(t.keys.admin, { query: "qual é o preço combinado no contrato?", channels: "keyword", limit: "10" });
    expect(any.body.results.map((r: any) => r.documentId)).toContain(contractId);
    const accents = await search(t.keys.admin, { query: "cláusula do preço", channels: "bm25", limit: "10" });
    expect(accents.body.results[0].content).toMatch(/Clausula 4/);
    const phrase = await search(t.keys.admin, { query: '"foro da comarca"', channels: "keyword", limit: "10" });
    expect(phrase.body.results.every((r: any) => /foro da comarca/i.test(r.content))).toBe(true);
    const excluded = await search(t.keys.admin, { query: "contrato -parcelas", channels: "keyword,bm25", limit: "50" });
    expect(excluded.body.results.length).toBeGreaterThan(0);
    expect(excluded.body.results.some((r: any) => /parcelas/i.test(r.content))).toBe(false);
    expectError(await search(t.keys.admin, { query: "-tudo ???" }), 400, "invalid_request");
  });

  it("inbound WhatsApp text is embedded from message.created and found by search_memory", async () => {
    const channel = await t.channel();
    const phone = `55119${Math.floor(1e7 + Math.random() * 8e7)}`;
    const inbound = await postWaha(channel, "message", inboundText(`${phone}@c.us`, "Bom dia, o boleto da mensalidade venceu ontem?"));
    expect(inbound.status).toBe(200);
    const messageId = inbound.body.messageId as string;
    await consumeEvent(t, "message.created", "messageId", messageId);
    // Delivered twice: embedded once.
    await consumeEvent(t, "message.created", "messageId", messageId);
    const { rows } = await db.query.execute<{ n: number }>(
      sql`select count(*)::int as n from memory_embeddings where message_id = ${messageId}`,
    );
    expect(rows[0]!.n).toBe(1);
    const res = await api("/v1/mcp/execute", {
      token: t.keys.readonly,
      body: { tool_name: "search_memory", arguments: { query: "boleto vencido", memory_types: ["message"] } },
    });
    expect(res.body.result.facts).toEqual([]);
    expect(res.body.result.embeddings.results[0]).toMatchObject({ message_id: messageId, content_type: "message" });
  });

  it("an Idempotency-Key keeps the uploaded bytes exact (a PDF is not UTF-8)", async () => {
    const bytes = makePdf(["Orçamento nº 77: instalação e manutenção, total R$ 3.210,00."]);
    const form = new FormData();
    form.set("file", new File([bytes], "orcamento.pdf", { type: "application/pdf" }));
    const res = await exports.default.fetch("http://crm.test/api/v1/documents", {
      method: "POST",
      headers: { authorization: `Bearer ${t.keys.admin}`, "idempotency-key": `up-${crypto.randomUUID()}` },
      body: form,
    });
    const body = await res.json<any>();
    expect(res.status).toBe(202);
    const sent = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(body).toMatchObject({ sha256: sent, bytes: bytes.byteLength });
  });

  it("two deliveries of one upload processed at once store one set of chunks", async () => {
    const up = await uploadFile(t.keys.admin, {
      bytes: `Proposta comercial ${crypto.randomUUID()}. ${"Item de serviço. ".repeat(200)}`,
      name: "p.txt",
      type: "text/plain",
    });
    const ctx = () => memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    await Promise.all([processDocument(ctx(), up.body.id), processDocument(ctx(), up.body.id)]);
    const doc = (await api(`/api/v1/documents/${up.body.id}`, { token: t.keys.admin })).body;
    expect(doc.status).toBe("ready");
    const { rows } = await db.query.execute<{ n: number }>(
      sql`select count(*)::int as n from memory_embeddings where document_id = ${up.body.id}`,
    );
    expect(rows[0]!.n).toBe(doc.chunkCount);
    const { rows: events } = await db.query.execute<{ status: string }>(
      sql`select payload->>'status' as status from outbox
          where topic = 'document.status_changed' and payload->>'documentId' = ${up.body.id}`,
    );
    expect(events.filter((e) => e.status === "ready")).toHaveLength(1);
    // The feed's event names the document, never its storage internals.
    const { rows: payloads } = await db.query.execute<{ payload: any }>(
      sql`select payload from outbox where topic = 'document.status_changed' and payload->>'documentId' = ${up.body.id}`,
    );
    for (const { payload } of payloads) expect(Object.keys(payload).sort()).not.toContain("storageKey");
  });

  it("a document never stays processing: a dead-lettered upload and a stalled run end failed, and uploading again retries", async () => {
    const up = await uploadFile(t.keys.admin, { bytes: `Contrato ${crypto.randomUUID()}`, name: "c.txt", type: "text/plain" });
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    await db.query.execute(sql`update documents set status = 'processing' where id = ${up.body.id}`);
    expect(await failUnfinishedDocuments(db, { tenantId: t.tenant.id, projectId: t.project.id, documentId: up.body.id })).toBe(1);
    let doc = (await api(`/api/v1/documents/${up.body.id}`, { token: t.keys.admin })).body;
    expect(doc).toMatchObject({ status: "failed" });
    expect(doc.error).toMatch(/every attempt/);
    // The same file again: processed again (pending, a new event), not just "duplicate, failed".
    const retry = await uploadDocument(ctx, { content: await fileBytes(up.body.id), filename: "c.txt", mimeType: "text/plain" });
    expect(retry).toMatchObject({ id: up.body.id, duplicate: true, status: "pending" });
    await processDocument(ctx, up.body.id);
    expect((await api(`/api/v1/documents/${up.body.id}`, { token: t.keys.admin })).body.status).toBe("ready");
    // A run that stopped for good (its isolate killed, every time): the cron's sweep fails it.
    await db.query.execute(
      sql`update documents set status = 'processing', updated_at = now() - interval '1 hour' where id = ${up.body.id}`,
    );
    expect(await failUnfinishedDocuments(db, { limit: 100 })).toBeGreaterThanOrEqual(1);
    doc = (await api(`/api/v1/documents/${up.body.id}`, { token: t.keys.admin })).body;
    expect(doc).toMatchObject({ status: "failed" });
  });

  it("-exclusions and quoted phrases bind the vector channel too", async () => {
    const excluded = await search(t.keys.admin, { query: "contrato -parcelas", channels: "vector", limit: "50" });
    expect(excluded.body.results.length).toBeGreaterThan(0);
    expect(excluded.body.results.some((r: any) => /parcelas/i.test(r.content))).toBe(false);
    const phrase = await search(t.keys.admin, { query: '"foro da comarca"', channels: "vector", limit: "50" });
    expect(phrase.body.results.length).toBeGreaterThan(0);
    expect(phrase.body.results.every((r: any) => /foro da comarca/i.test(r.content))).toBe(true);
  });

  it("memory follows the conversation: edits replace the text, revokes and a deleted contact remove it", async () => {
    const channel = await t.channel();
    const chat = `55119${Math.floor(1e7 + Math.random() * 8e7)}@c.us`;
    const msg = inboundText(chat, "quero 2 unidades do liquidificador");
    const created = await postWaha(channel, "message", msg);
    const messageId = created.body.messageId as string;
    await consumeEvent(t, "message.created", "messageId", messageId);
    const text = async () =>
      (await db.query.execute<any>(sql`select content_text from memory_embeddings where message_id = ${messageId}`)).rows.map(
        (r) => r.content_text,
      );
    expect(await text()).toEqual(["quero 2 unidades do liquidificador"]);
    await postWaha(channel, "message.edited", {
      id: `e-${messageId}`,
      body: "quero 7 unidades do liquidificador",
      editedMessageId: msg.id,
    });
    await consumeEvent(t, "message.edited", "messageId", messageId);
    expect(await text()).toEqual(["quero 7 unidades do liquidificador"]);
    await postWaha(channel, "message.revoked", { revokedMessageId: msg.id, before: null, after: null });
    await consumeEvent(t, "message.revoked", "messageId", messageId);
    expect(await text()).toEqual([]);

    const other = inboundText(chat, "meu cpf é 123.456.789-00, apaguem meus dados");
    const second = await postWaha(channel, "message", other);
    await consumeEvent(t, "message.created", "messageId", second.body.messageId);
    expect((await api(`/api/v1/contacts/${second.body.contactId}`, { token: t.keys.admin, method: "DELETE" })).status).toBe(204);
    await consumeEvent(t, "contact.deleted", "contactId", second.body.contactId);
    const found = await search(t.keys.admin, { query: "cpf apaguem meus dados", contentTypes: "message", limit: "10" });
    expect(found.body.results.map((r: any) => r.messageId)).not.toContain(second.body.messageId);
    const { rows } = await db.query.execute<{ n: number }>(
      sql`select count(*)::int as n from memory_embeddings where message_id = ${second.body.messageId}`,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it("delete removes the chunks, the original in R2 and their BM25 statistics", async () => {
    const doc = await uploadAndProcess(db, t, {
      bytes: "Manual do liquidificador X200: garantia de 12 meses zynqworx.",
      name: "m.txt",
      type: "text/plain",
    });
    const { storage_key } = (await db.query.execute<any>(sql`select storage_key from documents where id = ${doc.id}`)).rows[0];
    expect(await env.DOCUMENTS.get(storage_key)).not.toBeNull();
    const term = async () =>
      (await db.query.execute<any>(sql`select df from memory_bm25_terms where project_id = ${t.project.id} and term = 'zynqworx'`)).rows[0]
        ?.df;
    expect(await term()).toBe(1);
    expect((await api(`/api/v1/documents/${doc.id}`, { token: t.keys.manager, method: "DELETE" })).status).toBe(204);
    expect(
      (await db.query.execute<any>(sql`select count(*)::int as n from memory_embeddings where document_id = ${doc.id}`)).rows[0].n,
    ).toBe(0);
    expect(await env.DOCUMENTS.get(storage_key)).toBeNull();
    expect(await term()).toBeUndefined();
    expect((await api(`/api/v1/documents/${doc.id}`, { token: t.keys.manager, method: "DELETE" })).status).toBe(404);
  });
});
