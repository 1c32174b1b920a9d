import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { OutboxMessage, Topic } from "../../src/outbox/events";
import { MAX_DOCUMENT_BYTES } from "../../src/services/memory/deps";
import { extractDocument } from "../../src/services/memory/documents/extract";
import { fullText } from "../../src/services/memory/documents/pages";
import { uploadDocument } from "../../src/services/memory/documents/service";
import { searchMemory } from "../../src/services/memory/search/service";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { memoryContext, uploadAndProcess, uploadFile } from "../support/memory";
import { makePdf } from "../support/pdf";
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

async function consumeEvent(t: Actors, topic: Topic, key: string, value: string) {
  const { rows } = await db.query.execute<any>(
    sql`select * from outbox where topic = ${topic} and payload->>${key} = ${value} order by id desc limit 1`,
  );
  const row = rows[0];
  const body = {
    id: row.id,
    topic,
    tenantId: t.tenant.id,
    projectId: t.project.id,
    payload: row.payload,
    createdAt: new Date().toISOString(),
  };
  const batch = createMessageBatch<OutboxMessage>("ventros-events", [{ id: `q-${row.id}`, timestamp: new Date(), attempts: 1, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
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
    const { processDocument } = await import("../../src/services/memory/documents/service");
    await processDocument(second, twin.id);

    const ours = new Set(
      (await db.query.execute<{ id: string }>(sql`select id from memory_embeddings where project_id = ${t.project.id}`)).rows.map(
        (r) => r.id,
      ),
    );
    for (const channels of ["vector", "keyword", "bm25", "recent", "vector,keyword,bm25,recent"]) {
      const res = await search(t.keys.admin, { query: "valor total do contrato Padaria", channels, limit: "50" });
      expect(res.status, channels).toBe(200);
      expect(res.body.results.length, channels).toBeGreaterThan(0);
      for (const hit of res.body.results) expect(ours.has(hit.id), `${channels}: ${hit.id}`).toBe(true);
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
