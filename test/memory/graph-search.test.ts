import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { GRAPH_NAMED_ENTITY_BOOST } from "../../src/services/memory/search/channels";
import { searchMemory } from "../../src/services/memory/search/service";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { memoryContext, uploadAndProcess } from "../support/memory";

/**
 * The graph channel and facts inside search, over the knowledge tables as the knowledge service fills them: entities
 * and edges are written here directly, so each rule of the channel is pinned by numbers chosen for it.
 */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

const search = (token: string, params: Record<string, string>) => api(`/api/v1/memory/search?${new URLSearchParams(params)}`, { token });

async function entity(t: Actors, type: string, name: string, key: string, aliasKeys: string[] = []) {
  const { rows } = await db.query.execute<{ id: string }>(sql`
    insert into memory_entities (id, tenant_id, project_id, entity_type, name, normalized_key, alias_keys)
    values (gen_random_uuid(), ${t.tenant.id}, ${t.project.id}, ${type}, ${name}, ${key},
            array(select jsonb_array_elements_text(${JSON.stringify(aliasKeys)}::jsonb)))
    returning id`);
  return rows[0]!.id;
}

async function edge(t: Actors, from: [string, string], to: [string, string], type: string, strength: number) {
  await db.query.execute(sql`
    insert into memory_graph (id, tenant_id, project_id, node_from_type, node_from_id, node_to_type, node_to_id,
                              relationship_type, relationship_strength, evidence_count)
    values (gen_random_uuid(), ${t.tenant.id}, ${t.project.id}, ${from[0]}, ${from[1]}::uuid, ${to[0]}, ${to[1]}::uuid,
            ${type}, ${strength}, 1)`);
}

async function chunksOf(documentId: string) {
  const { rows } = await db.query.execute<{ id: string }>(
    sql`select id from memory_embeddings where document_id = ${documentId} order by (metadata->>'chunk_index')::int`,
  );
  return rows.map((r) => r.id);
}

async function contact(t: Actors, name: string) {
  const res = await api("/api/v1/contacts", { token: t.keys.admin, body: { name } });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("memory search: the graph channel and facts", () => {
  let t: Actors;
  let other: Actors;
  let strong: string;
  let weak: string;
  let acme: string;
  beforeAll(async () => {
    [t, other] = await Promise.all([createActors(db), createActors(db)]);
    // Two documents whose words never name the company: only the graph links them to it.
    const a = await uploadAndProcess(db, t, { bytes: "Fornecimento de 40 cadeiras de escritório.", name: "a.txt", type: "text/plain" });
    const b = await uploadAndProcess(db, t, { bytes: "Manutenção trimestral dos elevadores.", name: "b.txt", type: "text/plain" });
    strong = (await chunksOf(a.id))[0]!;
    weak = (await chunksOf(b.id))[0]!;
    acme = await entity(t, "company", "Acme Indústria Ltda", "acme industria", ["acme"]);
    await edge(t, ["chunk", strong], ["company", acme], "mentions", 0.9);
    await edge(t, ["chunk", weak], ["company", acme], "mentions", 0.3);
  });

  it("ranks the chunks that mention a named entity by edge strength, found by key or alias, accents and case folded", async () => {
    for (const query of ["quais documentos mencionam a ACME?", "contratos da Acme Indústria", "acme industria"]) {
      const res = await search(t.keys.readonly, { query, channels: "graph" });
      expect(res.status, query).toBe(200);
      expect(
        res.body.results.map((h: any) => [h.id, h.scores.channels.graph.rank, h.scores.channels.graph.score]),
        query,
      ).toEqual([
        [strong, 1, expect.closeTo(0.9, 5)],
        [weak, 2, expect.closeTo(0.3, 5)],
      ]);
    }
    // A question naming no known entity: the channel finds nothing (and costs one index probe).
    expect((await search(t.keys.readonly, { query: "cadeiras de escritório", channels: "graph" })).body.results).toEqual([]);
  });

  it("takes part in the fusion like the other channels, and the search stays one round trip", async () => {
    const res = await search(t.keys.readonly, { query: "cadeiras da Acme" });
    expect(res.body.channels).toEqual(["vector", "keyword", "bm25", "graph"]);
    const hit = res.body.results.find((h: any) => h.id === strong);
    // "Acme" is an entity the project knows: the graph's weight is boosted, and the result says so.
    expect(hit.scores.channels.graph).toEqual({ rank: 1, score: expect.closeTo(0.9, 5), weight: GRAPH_NAMED_ENTITY_BOOST });
    expect(hit.scores.channels.vector.weight).toBe(1);
    // Σ weight / (60 + rank) over the channels that found it.
    const fused = Object.values(hit.scores.channels as Record<string, { rank: number; weight: number }>).reduce(
      (s, c) => s + c.weight / (60 + c.rank),
      0,
    );
    expect(hit.scores.fused).toBeCloseTo(fused, 10);
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const before = ctx.db.roundTrips;
    await searchMemory(ctx, { query: "cadeiras da Acme", limit: 5, facts: 5 });
    expect(ctx.db.roundTrips - before).toBe(1);
  });

  it("with a contact, ranks that contact's items mentioning the entities the contact is linked to", async () => {
    const joao = await contact(t, "João Graph");
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const [vector] = await ctx.memory!.embedder.embed(["trabalho lá há dez anos"], "document");
    const { rows } = await db.query.execute<{ id: string }>(sql`
      insert into memory_embeddings (id, tenant_id, project_id, contact_id, content_type, content_text, embedding, embedding_model)
      values (gen_random_uuid(), ${t.tenant.id}, ${t.project.id}, ${joao}, 'message', 'trabalho lá há dez anos',
              ${`[${vector!.join(",")}]`}::halfvec, ${ctx.memory!.embedder.model})
      returning id`);
    const message = rows[0]!.id;
    await edge(t, ["chunk", message], ["company", acme], "mentions", 0.8);
    await edge(t, ["contact", joao], ["company", acme], "works_at", 0.5);
    const res = await search(t.keys.readonly, { query: "onde ele trabalha?", channels: "graph", contactId: joao });
    // Found through the contact's own link, for a question naming no entity: the graph counts like the others.
    expect(res.body.results.map((h: any) => [h.id, h.scores.channels.graph.score, h.scores.channels.graph.weight])).toEqual([
      [message, expect.closeTo(0.4, 5), 1],
    ]);
  });

  it("never crosses tenants: the same entity key elsewhere links only that tenant's chunks", async () => {
    const doc = await uploadAndProcess(db, other, { bytes: "Proposta comercial de impressoras.", name: "o.txt", type: "text/plain" });
    const [theirChunk] = await chunksOf(doc.id);
    const theirAcme = await entity(other, "company", "ACME", "acme industria");
    await edge(other, ["chunk", theirChunk!], ["company", theirAcme], "mentions", 1);
    // Our entity wired to their chunk (a corrupt edge) must not surface it either: chunks are scoped too.
    await edge(t, ["chunk", theirChunk!], ["company", acme], "mentions", 1);
    const ours = await search(t.keys.readonly, { query: "Acme Indústria", channels: "graph", limit: "50" });
    const ids = ours.body.results.map((h: any) => h.id);
    expect(ids).toEqual(expect.arrayContaining([strong, weak]));
    expect(ids).not.toContain(theirChunk);
    const theirs = await search(other.keys.readonly, { query: "Acme Indústria", channels: "graph", limit: "50" });
    expect(theirs.body.results.map((h: any) => h.id)).toEqual([theirChunk]);
  });

  it("search_memory returns the contact's current facts, matching ones first — never superseded ones or anyone else's", async () => {
    const ana = await contact(t, "Ana Facts");
    const bia = await contact(t, "Bia Facts");
    const fact = async (who: Actors, contactId: string, key: string, value: string, text: string, confidence: number, current = true) => {
      const { rows } = await db.query.execute<{ id: string }>(sql`
        insert into memory_facts (id, tenant_id, project_id, contact_id, fact_type, fact_key, fact_value, fact_text, confidence,
                                  invalidated_at, invalidated_reason)
        values (gen_random_uuid(), ${who.tenant.id}, ${who.project.id}, ${contactId}, ${key.split(".")[0]}, ${key}, ${value}, ${text},
                ${confidence}, ${current ? null : sql`now()`}, ${current ? null : "contradicted"})
        returning id`);
      return rows[0]!.id;
    };
    const pix = await fact(t, ana, "preference.payment.method", "pix", "Prefere pagar com PIX", 0.8);
    await fact(t, ana, "preference.payment.method", "boleto", "Prefere pagar com boleto", 0.9, false);
    const city = await fact(t, ana, "attribute.location", "sao paulo", "Mora em São Paulo", 0.95);
    const biaPix = await fact(t, bia, "preference.payment.method", "pix", "Prefere PIX", 0.7);
    const outsider = await contact(other, "Outsider");
    await fact(other, outsider, "preference.payment.method", "pix", "Prefere pagar com PIX", 1);

    const call = (args: Record<string, unknown>) =>
      api("/v1/mcp/execute", { token: t.keys.readonly, body: { tool_name: "search_memory", arguments: args } });
    const forAna = await call({ query: "como ela prefere pagar?", contact_id: ana, memory_types: ["fact"] });
    expect(forAna.status).toBe(200);
    // Both of Ana's current facts; the one matching the question first although the other is more confident.
    expect(forAna.body.result.facts.map((f: any) => f.id)).toEqual([pix, city]);
    expect(forAna.body.result.facts[0]).toMatchObject({ fact_key: "preference.payment.method", fact_value: "pix", confidence: 0.8 });
    expect(forAna.body.result.facts[0].match).toBeGreaterThan(0);
    expect(forAna.body.result.facts[1].match).toBe(0);
    expect(forAna.body.result.embeddings.results).toEqual([]);
    // Without a contact: every contact's matching current facts in the project, and only those.
    const anyone = await call({ query: "pix", memory_types: ["fact"] });
    expect(anyone.body.result.facts.map((f: any) => f.id).sort()).toEqual([pix, biaPix].sort());
    // Another tenant's contact id finds nothing of ours or theirs.
    const foreign = await call({ query: "pix", contact_id: outsider, memory_types: ["fact"] });
    expect(foreign.body.result.facts).toEqual([]);
  });
});
