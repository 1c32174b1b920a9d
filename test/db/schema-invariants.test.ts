import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { schema } from "../../src/db";
import { uuidv7 } from "../../src/lib/ids";
import { testDatabase } from "../support/db";
import { createTenantFixture } from "../support/fixtures";

const db = testDatabase();
type Fixture = Awaited<ReturnType<typeof createTenantFixture>>;

async function expectUniqueViolation(promise: Promise<unknown>, constraint: string) {
  const err = await promise.then(
    () => undefined,
    (e) => e,
  );
  expect(err, `expected a unique violation on ${constraint}`).toBeDefined();
  const cause = err.cause ?? err;
  expect(cause.code).toBe("23505");
  expect(cause.constraint).toBe(constraint);
}

async function insertContact(f: Fixture) {
  const [c] = await db.query.insert(schema.contacts).values({ tenantId: f.tenant.id, projectId: f.project.id, name: "Ana" }).returning();
  return c!;
}

async function insertSession(f: Fixture, contactId: string, channelId: string) {
  const [s] = await db.query
    .insert(schema.sessions)
    .values({ tenantId: f.tenant.id, projectId: f.project.id, contactId, channelId })
    .returning();
  return s!;
}

describe("schema invariants", () => {
  let a: Fixture;
  let b: Fixture;
  beforeAll(async () => {
    a = await createTenantFixture(db);
    b = await createTenantFixture(db);
  });

  it("allows one message per (channel, channel_message_id), the same id on another channel", async () => {
    const ch1 = await a.channel();
    const ch2 = await a.channel();
    const contact = await insertContact(a);
    const session = await insertSession(a, contact.id, ch1.id);
    const base = {
      tenantId: a.tenant.id,
      projectId: a.project.id,
      sessionId: session.id,
      contactId: contact.id,
      direction: "inbound" as const,
      status: "delivered" as const,
      channelMessageId: "false_5511999999999@c.us_ABC",
    };
    await db.query.insert(schema.messages).values({ ...base, channelId: ch1.id });
    await expectUniqueViolation(db.query.insert(schema.messages).values({ ...base, channelId: ch1.id }), "messages_channel_message_uq");
    await db.query.insert(schema.messages).values({ ...base, channelId: ch2.id });
    // Outbound messages have no WhatsApp id until WAHA accepts them; many may wait at once.
    await db.query.insert(schema.messages).values([
      { ...base, channelId: ch1.id, channelMessageId: null, direction: "outbound", status: "queued" },
      { ...base, channelId: ch1.id, channelMessageId: null, direction: "outbound", status: "queued" },
    ]);
  });

  it("allows one contact identifier per (project, kind, value), the same value in another project", async () => {
    const ca = await insertContact(a);
    const ca2 = await insertContact(a);
    const cb = await insertContact(b);
    const value = `5511${Date.now().toString().slice(-9)}@c.us`;
    const row = (f: Fixture, contactId: string) => ({
      tenantId: f.tenant.id,
      projectId: f.project.id,
      contactId,
      kind: "wa_c_us" as const,
      value,
    });
    await db.query.insert(schema.contactIdentifiers).values(row(a, ca.id));
    await expectUniqueViolation(
      db.query.insert(schema.contactIdentifiers).values(row(a, ca2.id)),
      "contact_identifiers_project_kind_value_uq",
    );
    await db.query.insert(schema.contactIdentifiers).values(row(b, cb.id));
    await db.query.insert(schema.contactIdentifiers).values({ ...row(a, ca2.id), kind: "wa_lid" });
  });

  it("keeps at most one active session per contact and channel", async () => {
    const channel = await a.channel();
    const contact = await insertContact(a);
    const first = await insertSession(a, contact.id, channel.id);
    await expectUniqueViolation(insertSession(a, contact.id, channel.id), "sessions_one_active_uq");
    await db.query.update(schema.sessions).set({ status: "expired" }).where(sql`id = ${first.id}`);
    await insertSession(a, contact.id, channel.id);
  });

  it("gives every tenant-owned table non-null tenant_id and project_id, and an index leading with one of them", async () => {
    const global = new Set(["tenants", "users", "outbox", "processed_webhook_events", "dead_letters", "projects", "memberships"]);
    const { rows: tables } = await db.query.execute<{ table_name: string }>(sql`
      select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`);
    const owned = tables.map((t) => t.table_name).filter((t) => !global.has(t));
    expect(owned.length).toBeGreaterThan(15);
    const { rows: columns } = await db.query.execute<{ table_name: string; column_name: string; is_nullable: string }>(sql`
      select table_name, column_name, is_nullable from information_schema.columns
      where table_schema = 'public' and column_name in ('tenant_id', 'project_id')`);
    const { rows: indexes } = await db.query.execute<{ tablename: string; indexdef: string }>(sql`
      select tablename, indexdef from pg_indexes where schemaname = 'public'`);
    for (const table of owned) {
      for (const column of ["tenant_id", "project_id"]) {
        const col = columns.find((c) => c.table_name === table && c.column_name === column);
        expect(col, `${table}.${column}`).toBeDefined();
        expect(col!.is_nullable, `${table}.${column} nullable`).toBe("NO");
      }
      // Child tables are reached through their parent's key, which is indexed; the scope columns ride along.
      const scoped = indexes.some(
        (i) => i.tablename === table && /\((tenant_id|project_id|contact_id|list_id|pipeline_id|session_id)\b/.test(i.indexdef),
      );
      expect(scoped, `${table} has a scoping index`).toBe(true);
    }
  });

  it("stores 768-dimension embeddings with an HNSW cosine index and generated, accent-folded tsvectors", async () => {
    const contact = await insertContact(a);
    const embedding = Array.from({ length: 768 }, (_, i) => (i === 0 ? 1 : 0));
    const id = uuidv7();
    await db.query.insert(schema.memoryEmbeddings).values({
      id,
      tenantId: a.tenant.id,
      projectId: a.project.id,
      contactId: contact.id,
      contentType: "message",
      contentText: "Quero saber o preço do plano anual",
      embedding,
      embeddingModel: "test-onehot",
    });
    const { rows } = await db.query.execute<{ matches: boolean; distance: number }>(sql`
      select keyword_tsv @@ to_tsquery('ventros_pt', 'preço & planos') and bm25_tsv @@ to_tsquery('ventros_pt', 'PRECO') as matches,
             embedding <=> ${JSON.stringify(embedding)}::halfvec as distance
      from memory_embeddings where id = ${id}`);
    expect(rows[0]!.matches).toBe(true);
    expect(Number(rows[0]!.distance)).toBeCloseTo(0, 6);
    const { rows: idx } = await db.query.execute<{ indexdef: string }>(sql`
      select indexdef from pg_indexes where indexname = 'memory_embeddings_hnsw_idx'`);
    expect(idx[0]!.indexdef).toMatch(/USING hnsw \(embedding halfvec_cosine_ops\) WITH \(m='?16'?, ef_construction='?64'?\)/);
    // Migration 0016 states what drizzle cannot: the scope's extended statistics and the extension behind the
    // project-first GIN indexes. Both are held here.
    const { rows: stats } = await db.query.execute<{ stxkind: string }>(sql`
      select stxkind::text from pg_statistic_ext where stxname = 'memory_embeddings_scope_stats'`);
    expect(stats[0]?.stxkind).toContain("f");
    const { rows: gin } = await db.query.execute<{ indexdef: string }>(sql`
      select indexdef from pg_indexes where indexname = 'memory_embeddings_bm25_idx'`);
    expect(gin[0]!.indexdef).toMatch(/USING gin \(project_id, bm25_tsv\)/);
    await expect(
      db.query.insert(schema.memoryEmbeddings).values({
        tenantId: a.tenant.id,
        projectId: a.project.id,
        contentType: "message",
        contentText: "wrong size",
        embedding: [1, 2, 3],
        embeddingModel: "test",
      }),
    ).rejects.toThrow();
  });
});
