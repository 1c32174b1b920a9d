import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import type { ExtractedFact } from "../../src/services/memory/extraction";
import { observeFacts } from "../../src/services/memory/knowledge/facts";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { memoryContext } from "../support/memory";

/** Consolidation under the orders a queue really delivers in: replays of old sources, and late observations. */
const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

const pay = (value: string): ExtractedFact => ({
  factType: "preference",
  factKey: "preference.payment.method",
  factValue: value,
  factText: `prefiro ${value}`,
  confidence: 0.8,
  start: 0,
  end: 10,
});

describe("fact consolidation: replays and late observations", () => {
  let t: Actors;
  beforeAll(async () => {
    t = await createActors(db);
  });

  const contact = async (name: string) => (await api("/api/v1/contacts", { token: t.keys.admin, body: { name } })).body.id as string;
  const rows = async (contactId: string) =>
    (
      await db.query.execute<{ fact_value: string; source_count: number; confidence: number; invalidated_at: string | null }>(
        sql`select fact_value, source_count, confidence, invalidated_at from memory_facts
            where contact_id = ${contactId} order by created_at, id`,
      )
    ).rows;

  it("a source already counted in the key's history does not strengthen a later fact of the same value", async () => {
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const who = await contact("Replay");
    const [a, b, c] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    const at = (m: number) => new Date(Date.UTC(2026, 10, 27, 10, m));
    await observeFacts(ctx, who, [pay("pix")], { sourceId: a, observedAt: at(0), extractor: "test" });
    await observeFacts(ctx, who, [pay("boleto")], { sourceId: b, observedAt: at(5), extractor: "test" });
    await observeFacts(ctx, who, [pay("pix")], { sourceId: c, observedAt: at(10), extractor: "test" });
    const before = await rows(who);
    // Message A read again (a redelivery, a re-run): it was already counted, in the first (superseded) row.
    const [again] = await observeFacts(ctx, who, [pay("pix")], { sourceId: a, observedAt: at(0), extractor: "test" });
    expect(again!.outcome).toBe("unchanged");
    expect(await rows(who)).toEqual(before);
    expect(before.filter((r) => !r.invalidated_at)).toEqual([expect.objectContaining({ fact_value: "pix", source_count: 1 })]);
  });

  it("an observation older than the current fact does not supersede it, whatever order the queue delivers", async () => {
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const who = await contact("Late");
    const at = (m: number) => new Date(Date.UTC(2026, 10, 27, 11, m));
    await observeFacts(ctx, who, [pay("boleto")], { sourceId: crypto.randomUUID(), observedAt: at(5), extractor: "test" });
    const [late] = await observeFacts(ctx, who, [pay("pix")], { sourceId: crypto.randomUUID(), observedAt: at(0), extractor: "test" });
    expect(late!.outcome).toBe("unchanged");
    const current = (await rows(who)).filter((r) => !r.invalidated_at);
    expect(current).toEqual([expect.objectContaining({ fact_value: "boleto" })]);
  });

  it("a deleted contact's facts are never given out by search_memory, with or without its id", async () => {
    const ctx = memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id });
    const who = await contact("Gone");
    await observeFacts(ctx, who, [{ ...pay("pix"), factText: "prefiro pix zyxwv" }], {
      sourceId: crypto.randomUUID(),
      observedAt: new Date(),
      extractor: "test",
    });
    const call = (args: Record<string, unknown>) =>
      api("/v1/mcp/execute", {
        token: t.keys.readonly,
        body: { tool_name: "search_memory", arguments: { memory_types: ["fact"], ...args } },
      });
    expect((await call({ query: "zyxwv", contact_id: who })).body.result.facts).toHaveLength(1);
    expect((await api(`/api/v1/contacts/${who}`, { token: t.keys.admin, method: "DELETE" })).status).toBe(204);
    expect((await call({ query: "zyxwv", contact_id: who })).body.result.facts).toEqual([]);
    expect((await call({ query: "zyxwv" })).body.result.facts).toEqual([]);
  });
});
