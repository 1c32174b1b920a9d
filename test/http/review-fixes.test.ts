import { getTableColumns, getTableName, is, sql } from "drizzle-orm";
import { PgDialect, PgTable } from "drizzle-orm/pg-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, schema } from "../../src/db";
import { createLogger } from "../../src/lib/logger";
import { encodeCursor, keyset } from "../../src/lib/pagination";
import { createServiceContext } from "../../src/services/context";
import { recordDeadLetter } from "../../src/services/dead-letters";
import { callVerb } from "../../src/services/verbs/define";
import { verbsByName } from "../../src/services/verbs/registry";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { configureSandbox } from "../support/sandbox";

const db = testDatabase();

const topicsFor = async (key: string, id: string) =>
  (await db.query.execute<{ topic: string }>(sql`select topic from outbox where payload->>${key} = ${id}`)).rows.map((r) => r.topic).sort();

/** The same database, with `hook` run once right before the first batch a service sends (a request racing it). */
function beforeFirstBatch(base: Database, hook: () => Promise<void>): Database {
  let fired = false;
  return {
    query: base.query,
    batch: (async (queries: Parameters<Database["batch"]>[0]) => {
      if (!fired) {
        fired = true;
        await hook();
      }
      return base.batch(queries);
    }) as unknown as Database["batch"],
    transaction: (fn) => base.transaction(fn),
    inTransaction: false,
    get usedPool() {
      return base.usedPool;
    },
    get roundTrips() {
      return base.roundTrips;
    },
    close: () => base.close(),
  };
}

/** A database that records the text of every statement sent through it: single queries, batches and transactions. */
function recordingDatabase() {
  const base = testDatabase();
  const statements: string[] = [];
  const logger = { logQuery: (query: string) => statements.push(query) };
  (base.query as unknown as { session: { logger: unknown } }).session.logger = logger;
  const db: Database = {
    query: base.query,
    batch: ((queries: readonly { toSQL(): { sql: string } }[]) => {
      for (const q of queries) statements.push(q.toSQL().sql);
      return base.batch(queries as never);
    }) as unknown as Database["batch"],
    transaction: (fn) =>
      base.transaction((tx) => {
        (tx as unknown as { session: { logger: unknown } }).session.logger = logger;
        return fn(tx);
      }),
    inTransaction: false,
    get usedPool() {
      return base.usedPool;
    },
    get roundTrips() {
      return base.roundTrips;
    },
    close: () => base.close(),
  };
  return { db, statements };
}

/** Tables holding one project's rows: every statement reading or changing them names the tenant and the project. */
const SCOPED_TABLES = (Object.values(schema) as unknown[])
  .filter((t): t is PgTable => is(t, PgTable))
  .filter((t) => "tenantId" in getTableColumns(t) && "projectId" in getTableColumns(t))
  .map((t) => getTableName(t))
  .filter((name) => name !== "outbox");

/** Statements that reach a project's table without both predicates on it (inserts carry the scope in their values). */
function unscoped(statements: string[]) {
  return statements.flatMap((text) => {
    const reached = SCOPED_TABLES.filter((t) => new RegExp(`(from|join|update|delete from) "?${t}"?(\\s|$)`).test(text));
    const missing = reached.filter((t) => {
      const qualified = text.includes(`"${t}"."tenant_id" = `) && text.includes(`"${t}"."project_id" = `);
      const alone = reached.length === 1 && /\btenant_id"? = /.test(text) && /\bproject_id"? = /.test(text);
      return !qualified && !alone;
    });
    return missing.length ? [`${missing.join(", ")}: ${text}`] : [];
  });
}

describe("review fixes", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });
  const call = (method: string, path: string, body?: unknown, token = t.keys.admin) => api(path, { method, token, body });
  const newContact = async (name: string) => (await call("POST", "/api/v1/contacts", { name })).body.id as string;
  const newPipeline = async (name: string) =>
    (await call("POST", "/api/v1/pipelines", { name, stages: [{ name: "New" }, { name: "Won", kind: "won", color: "#22c55e" }] })).body;
  const adminContext = (database: Database) => createServiceContext(database, t.ctx.principal, createLogger({ test: true }, "error"));

  describe("update verbs change only the fields sent", () => {
    it("renaming a won stage keeps it won and coloured; the event names only the name", async () => {
      const p = await newPipeline("Defaults");
      const won = p.stages[1];
      const renamed = await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${won.id}`, { name: "Closed" });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: "Closed", kind: "won", color: "#22c55e" });
      const { rows } = await db.query.execute<{ payload: { fields: string[] } }>(
        sql`select payload from outbox where topic = 'stage.updated' and payload->>'stageId' = ${won.id}`,
      );
      expect(rows.map((r) => r.payload.fields)).toEqual([["name"]]);
    });

    it("renaming an agent keeps its config and its active flag", async () => {
      const config = { model: "small", temperature: 0.2 };
      const agent = (await call("POST", "/api/v1/agents", { kind: "ai", name: "Bot", config, active: false })).body;
      const renamed = await call("PATCH", `/api/v1/agents/${agent.id}`, { name: "Bot 2" });
      expect(renamed.status).toBe(200);
      expect(renamed.body).toMatchObject({ name: "Bot 2", config, active: false });
      expect((await call("GET", `/api/v1/agents/${agent.id}`)).body).toMatchObject({ config, active: false });
    });
  });

  describe("stage deletion", () => {
    it("counts only live contacts: a stage whose only occupant was deleted can be deleted", async () => {
      const p = await newPipeline("Soft deleted");
      const [gone, kept] = [await newContact("Gone"), await newContact("Kept")];
      for (const c of [gone, kept])
        expect((await call("PUT", `/api/v1/contacts/${c}/stage`, { stageId: p.stages[1].id })).status).toBe(200);
      expect((await call("DELETE", `/api/v1/contacts/${gone}`)).status).toBe(204);
      const refused = expectError(await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${p.stages[1].id}`), 409, "conflict");
      expect(refused.details).toEqual({ contacts: 1 });
      expect((await call("PUT", `/api/v1/contacts/${kept}/stage`, { stageId: p.stages[0].id })).status).toBe(200);
      expect((await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${p.stages[1].id}`)).status).toBe(204);
      expect(await topicsFor("stageId", p.stages[1].id)).toEqual(["stage.deleted"]);
      expectError(await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${p.stages[1].id}`), 404, "not_found");
    });

    it("decides in the statement that deletes: a move into the stage just before is kept, not wiped by the cascade", async () => {
      const p = await newPipeline("Race");
      const stage = p.stages[1];
      const contact = await newContact("Racing in");
      const racing = beforeFirstBatch(db, async () => {
        expect((await call("PUT", `/api/v1/contacts/${contact}/stage`, { stageId: stage.id })).status).toBe(200);
      });
      const ctx = adminContext(racing);
      await expect(
        callVerb(verbsByName.get("pipelines.delete_stage")!, ctx, { pipelineId: p.id, stageId: stage.id }),
      ).rejects.toMatchObject({
        code: "conflict",
      });
      const { rows } = await db.query.execute<{ stage_id: string }>(
        sql`select stage_id::text from contact_stages where contact_id = ${contact}`,
      );
      expect(rows).toEqual([{ stage_id: stage.id }]);
      expect(await topicsFor("stageId", stage.id)).toEqual([]);
    });
  });

  describe("events are written only with their change", () => {
    // Rows marked "vanishing" behave as if a concurrent request deleted them between the lookup and the change:
    // the existence check finds them, the update or delete itself touches nothing.
    const tables = [
      ["tags", "name"],
      ["notes", "body"],
      ["pipelines", "name"],
      ["stages", "name"],
      ["contact_identifiers", "value"],
    ] as const;
    beforeAll(async () => {
      await db.query.execute(sql`create or replace function review_fixes_vanish() returns trigger language plpgsql
        as $$ begin return null; end $$`);
      for (const [table, column] of tables) {
        await db.query.execute(
          sql.raw(`create trigger review_fixes_vanish before update or delete on ${table} for each row
            when (old.${column} like 'vanishing%') execute function review_fixes_vanish()`),
        );
      }
    });
    afterAll(async () => {
      for (const [table] of tables) await db.query.execute(sql.raw(`drop trigger if exists review_fixes_vanish on ${table}`));
      await db.query.execute(sql`drop function if exists review_fixes_vanish()`);
    });

    it("tags (the shared update and delete helpers): 404, and no tag.updated or tag.deleted", async () => {
      const tag = (await call("POST", "/api/v1/tags", { name: `vanishing ${crypto.randomUUID()}` })).body;
      expectError(await call("PATCH", `/api/v1/tags/${tag.id}`, { color: "#112233" }), 404, "not_found");
      expectError(await call("DELETE", `/api/v1/tags/${tag.id}`), 404, "not_found");
      expect(await topicsFor("tagId", tag.id)).toEqual(["tag.created"]);
    });

    it("notes: 404, and no note.updated or note.deleted", async () => {
      const contact = await newContact("Noted");
      const note = (await call("POST", `/api/v1/contacts/${contact}/notes`, { body: "vanishing note" })).body;
      expectError(await call("PATCH", `/api/v1/notes/${note.id}`, { pinned: true }), 404, "not_found");
      expectError(await call("DELETE", `/api/v1/notes/${note.id}`), 404, "not_found");
      expect(await topicsFor("noteId", note.id)).toEqual(["note.created"]);
    });

    it("pipelines and stages: 404, and no pipeline.updated, pipeline.deleted or stage.updated", async () => {
      const p = (await call("POST", "/api/v1/pipelines", { name: "vanishing funnel", stages: [{ name: "vanishing stage" }] })).body;
      expectError(await call("PATCH", `/api/v1/pipelines/${p.id}`, { description: "changed" }), 404, "not_found");
      expectError(await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${p.stages[0].id}`, { color: "#112233" }), 404, "not_found");
      expectError(await call("DELETE", `/api/v1/pipelines/${p.id}`), 404, "not_found");
      expect(await topicsFor("pipelineId", p.id)).toEqual(["pipeline.created"]);
    });

    it("contact identifiers: 404, and no contact.identifier_removed", async () => {
      const contact = await newContact("Identified");
      const value = `vanishing-${crypto.randomUUID()}@example.test`;
      const identifier = (await call("POST", `/api/v1/contacts/${contact}/identifiers`, { kind: "email", value })).body;
      expectError(await call("DELETE", `/api/v1/contacts/${contact}/identifiers/${identifier.id}`), 404, "not_found");
      expect(await topicsFor("value", value)).toEqual(["contact.identifier_added"]);
    });

    it("a row deleted twice in a row records one deletion", async () => {
      const tag = (await call("POST", "/api/v1/tags", { name: `Twice ${crypto.randomUUID()}` })).body;
      expect((await call("DELETE", `/api/v1/tags/${tag.id}`)).status).toBe(204);
      expectError(await call("DELETE", `/api/v1/tags/${tag.id}`), 404, "not_found");
      expect(await topicsFor("tagId", tag.id)).toEqual(["tag.created", "tag.deleted"]);
    });
  });

  describe("id-ordered lists page through one keyset helper", () => {
    it("keyset without a sort key orders and pages on the id alone, both ways", () => {
      const dialect = new PgDialect();
      const id = crypto.randomUUID();
      const s = schema.sessions;
      const render = (q: ReturnType<typeof keyset>) => {
        const where = q.where && dialect.sqlToQuery(q.where);
        return { where: where && { sql: where.sql, params: where.params }, orderBy: q.orderBy.map((o) => dialect.sqlToQuery(o).sql) };
      };
      expect(render(keyset({ id: s.id, direction: "desc", cursor: encodeCursor([id]) }))).toEqual({
        where: { sql: `"sessions"."id" < $1`, params: [id] },
        orderBy: [`"sessions"."id" desc`],
      });
      expect(render(keyset({ id: s.id, direction: "asc", cursor: encodeCursor([id]) }))).toEqual({
        where: { sql: `"sessions"."id" > $1`, params: [id] },
        orderBy: [`"sessions"."id" asc`],
      });
      expect(render(keyset({ id: s.id, direction: "asc" }))).toEqual({ where: undefined, orderBy: [`"sessions"."id" asc`] });
      expect(() => keyset({ id: s.id, direction: "desc", cursor: encodeCursor(["not-an-id"]) })).toThrow(/cursor/);
      expect(() => keyset({ id: s.id, direction: "desc", cursor: encodeCursor([id, id]) })).toThrow(/cursor/);
    });

    /** Follows nextCursor to the end, returning the ids in the order served. */
    async function walk(path: string, limit: number) {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < 50; i++) {
        const sep = path.includes("?") ? "&" : "?";
        const res = await call("GET", `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        expect(res.status, JSON.stringify(res.body)).toBe(200);
        ids.push(...res.body.data.map((r: any) => r.id));
        cursor = res.body.nextCursor;
        if (!cursor) return ids;
      }
      throw new Error("pagination did not end");
    }
    const newestFirst = (ids: string[]) => [...ids].sort().reverse();

    it("lists, list members, sessions, messages (asc and desc) and dead letters lose and repeat nothing", async () => {
      const channel = await t.channel();
      await configureSandbox({ name: channel.wahaSession });
      const contacts = [await newContact("P1"), await newContact("P2"), await newContact("P3")];
      const lists = [];
      for (const name of ["L1", "L2", "L3"]) lists.push((await call("POST", "/api/v1/contact-lists", { name })).body.id as string);
      expect((await call("POST", `/api/v1/contact-lists/${lists[0]}/members`, { contactIds: contacts })).status).toBe(200);
      const messages: string[] = [];
      for (const [i, text] of ["um", "dois", "três"].entries()) {
        const sent = await call("POST", "/api/v1/messages", { contactId: contacts[0], channelId: channel.id, text });
        expect(sent.status).toBe(202);
        messages.push(sent.body.id);
        if (i > 0) continue;
        for (const other of contacts.slice(1)) {
          expect((await call("POST", "/api/v1/messages", { contactId: other, channelId: channel.id, text })).status).toBe(202);
        }
      }
      const letters: string[] = [];
      for (let i = 0; i < 3; i++) {
        const outboxId = crypto.randomUUID();
        const [tenantId, projectId] = [t.tenant.id, t.project.id];
        const event = {
          id: outboxId,
          topic: "contact.updated" as const,
          tenantId,
          projectId,
          payload: {},
          createdAt: new Date().toISOString(),
        };
        await recordDeadLetter(db, "ventros-events-dlq", event, 6);
        const { rows } = await db.query.execute<{ id: string }>(sql`select id::text from dead_letters where outbox_id = ${outboxId}`);
        letters.push(rows[0]!.id);
      }

      const sessions = (await call("GET", `/api/v1/sessions?channelId=${channel.id}&limit=100`)).body.data.map((s: any) => s.id);
      expect(sessions).toHaveLength(3);
      const cases: [string, string[]][] = [
        ["/api/v1/contact-lists", newestFirst(lists)],
        [`/api/v1/contact-lists/${lists[0]}/members`, newestFirst(contacts)],
        [`/api/v1/sessions?channelId=${channel.id}`, newestFirst(sessions)],
        [`/api/v1/messages?contactId=${contacts[0]}`, newestFirst(messages)],
        [`/api/v1/messages?contactId=${contacts[0]}&order=desc`, newestFirst(messages)],
        [`/api/v1/messages?contactId=${contacts[0]}&order=asc`, [...messages].sort()],
        ["/api/v1/dead-letters", newestFirst(letters)],
      ];
      for (const [path, expected] of cases) {
        for (const limit of [1, 2]) expect(await walk(path, limit), `${path} limit ${limit}`).toEqual(expected);
      }
    });
  });

  it("scopes every statement on a project's table to the tenant and project: stages, moves, replays, sends", async () => {
    const { db: recording, statements } = recordingDatabase();
    const ctx = adminContext(recording);
    const run = (verb: string, input: Record<string, unknown>) => callVerb(verbsByName.get(verb)!, ctx, input);
    const channel = await t.channel();
    await configureSandbox({ name: channel.wahaSession });
    const p = await newPipeline("Scoped");
    const contact = await newContact("Scoped");
    const outboxId = crypto.randomUUID();
    await recordDeadLetter(
      db,
      "ventros-events-dlq",
      { id: outboxId, topic: "contact.updated", tenantId: t.tenant.id, projectId: t.project.id, payload: {}, createdAt: "" },
      6,
    );
    const { rows } = await db.query.execute<{ id: string }>(sql`select id::text from dead_letters where outbox_id = ${outboxId}`);

    const added = (await run("pipelines.add_stage", { pipelineId: p.id, name: "Middle", position: 1 })) as { id: string };
    await run("pipelines.update_stage", { pipelineId: p.id, stageId: added.id, name: "Centre" });
    await run("pipelines.move_contact", { contactId: contact, stageId: added.id });
    await run("pipelines.move_contact", { contactId: contact, stageId: p.stages[0].id });
    await run("pipelines.delete_stage", { pipelineId: p.id, stageId: added.id });
    await run("dead_letters.replay", { deadLetterId: rows[0]!.id });
    await run("projects.update_current", { settings: { messageGroupWindowSeconds: 30 } });
    await run("messages.send", { contactId: contact, channelId: channel.id, text: "scoped" });

    expect(statements.length).toBeGreaterThan(15);
    expect(unscoped(statements)).toEqual([]);
    const projectUpdates = statements.filter((s) => s.startsWith(`update "projects"`));
    expect(projectUpdates).toHaveLength(1);
    expect(projectUpdates[0]).toContain(`"projects"."tenant_id" = `);
  });
});
