import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

describe("contacts API", () => {
  let a: Actors;
  let b: Actors;
  beforeAll(async () => {
    [a, b] = await Promise.all([createActors(db), createActors(db)]);
  });

  const create = (token: string, body: unknown) => api("/api/v1/contacts", { token, body });

  it("creates a contact with identifiers, timeline row and outbox event in one transaction", async () => {
    const res = await create(a.keys.user, {
      name: "Maria Souza",
      phone: "+55 (11) 98888-7777",
      email: "maria@example.test",
      customFields: { plan: "pro" },
      identifiers: [{ kind: "wa_lid", value: "123456789@lid" }],
    });
    expect(res.status).toBe(201);
    expect(res.body.phone).toBe("5511988887777");
    expect(res.body.identifiers).toEqual(
      expect.arrayContaining([
        { kind: "phone", value: "5511988887777" },
        { kind: "wa_lid", value: "123456789@lid" },
      ]),
    );
    const id = res.body.id;
    const got = await api(`/api/v1/contacts/${id}`, { token: a.keys.readonly });
    expect(got.status).toBe(200);
    expect(got.body.identifiers).toHaveLength(2);
    expect(got.body.customFields).toEqual({ plan: "pro" });
    const { rows } = await db.query.execute<{ topic: string; n: number }>(sql`
      select (select count(*)::int from contact_events where contact_id = ${id} and type = 'contact.created') as n,
             (select topic from outbox where payload->>'contactId' = ${id}) as topic`);
    expect(rows[0]).toEqual({ n: 1, topic: "contact.created" });
  });

  it("rejects invalid input with field-level details", async () => {
    const err = expectError(await create(a.keys.admin, { email: "nope", phone: "abc", customFields: "x" }), 400, "invalid_request");
    const paths = (err.details as { path: string }[]).map((d) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["email", "phone", "customFields"]));
    expectError(await api("/api/v1/contacts?limit=1000", { token: a.keys.admin }), 400, "invalid_request");
    expectError(await api("/api/v1/contacts?cursor=bogus", { token: a.keys.admin }), 400, "invalid_request");
    expectError(await api("/api/v1/contacts/not-a-uuid", { token: a.keys.admin }), 400, "invalid_request");
    expectError(
      await api(`/api/v1/contacts/${crypto.randomUUID()}`, { token: a.keys.admin, method: "PATCH", body: {} }),
      400,
      "invalid_request",
    );
  });

  it("answers 409 for an identifier another contact of the project holds, and 413 for huge bodies", async () => {
    const value = `55119${Date.now().toString().slice(-8)}`;
    expect((await create(a.keys.admin, { name: "One", phone: value })).status).toBe(201);
    const dup = expectError(await create(a.keys.admin, { name: "Two", phone: value }), 409, "conflict");
    expect(JSON.stringify(dup.details)).toContain("contact_identifiers_project_kind_value_uq");
    // The same number is free in another tenant.
    expect((await create(b.keys.admin, { name: "Other tenant", phone: value })).status).toBe(201);
    expectError(
      await create(a.keys.admin, { name: "x".repeat(100), customFields: { blob: "y".repeat(1100 * 1024) } }),
      413,
      "payload_too_large",
    );
  });

  it("lists with search, filters and stable cursor pagination", async () => {
    const tag = `batch-${Date.now()}`;
    for (let i = 0; i < 7; i++) await create(a.keys.admin, { name: `Paged ${tag} ${i}`, source: tag });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api(`/api/v1/contacts?q=${tag}&limit=3&sort=name&order=asc${cursor ? `&cursor=${cursor}` : ""}`, {
        token: a.keys.readonly,
      });
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((c: any) => c.name));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `Paged ${tag} ${i}`));
    const byPhone = await api(`/api/v1/contacts?q=98888-7777`, { token: a.keys.admin });
    expect(byPhone.body.data.map((c: any) => c.name)).toContain("Maria Souza");
    // Search never crosses tenants.
    const fromB = await api(`/api/v1/contacts?q=${tag}`, { token: b.keys.admin });
    expect(fromB.body.data).toEqual([]);
  });

  it("updates and merges custom fields, writes the timeline, deletes softly", async () => {
    const { body: c } = await create(a.keys.admin, { name: "Before", customFields: { a: 1, b: 2 } });
    const upd = await api(`/api/v1/contacts/${c.id}`, {
      token: a.keys.manager,
      method: "PATCH",
      body: { name: "After", customFields: { b: null, c: 3 } },
    });
    expect(upd.status).toBe(200);
    expect(upd.body.name).toBe("After");
    expect(upd.body.customFields).toEqual({ a: 1, c: 3 });
    const { rows } = await db.query.execute<{ type: string }>(
      sql`select type from contact_events where contact_id = ${c.id} order by occurred_at`,
    );
    expect(rows.map((r) => r.type)).toEqual(["contact.created", "contact.updated"]);
    expect((await api(`/api/v1/contacts/${c.id}`, { token: a.keys.manager, method: "DELETE" })).status).toBe(204);
    expectError(await api(`/api/v1/contacts/${c.id}`, { token: a.keys.admin }), 404, "not_found");
  });

  it("enforces roles: readonly never mutates, user cannot delete", async () => {
    expectError(await create(a.keys.readonly, { name: "x" }), 403, "forbidden");
    const { body: c } = await create(a.keys.admin, { name: "Role test" });
    expectError(await api(`/api/v1/contacts/${c.id}`, { token: a.keys.readonly, method: "PATCH", body: { name: "y" } }), 403, "forbidden");
    expectError(await api(`/api/v1/contacts/${c.id}`, { token: a.keys.user, method: "DELETE" }), 403, "forbidden");
  });

  it("treats another tenant's contact as missing on every route", async () => {
    const { body: c } = await create(a.keys.admin, { name: "Private", phone: "+1 555 0100 999" });
    const other = b.keys.admin;
    expectError(await api(`/api/v1/contacts/${c.id}`, { token: other }), 404, "not_found");
    expectError(await api(`/api/v1/contacts/${c.id}`, { token: other, method: "PATCH", body: { name: "pwned" } }), 404, "not_found");
    expectError(await api(`/api/v1/contacts/${c.id}`, { token: other, method: "DELETE" }), 404, "not_found");
    expectError(
      await api(`/api/v1/contacts/${c.id}/identifiers`, { token: other, body: { kind: "email", value: "x@y.z" } }),
      404,
      "not_found",
    );
    const got = await api(`/api/v1/contacts/${c.id}`, { token: a.keys.admin });
    expect(got.body.name).toBe("Private");
    // A reference to another tenant's agent is refused, not silently linked.
    const [agent] = (
      await db.query.execute<{ id: string }>(sql`
      insert into agents (id, tenant_id, project_id, kind, name) values (gen_random_uuid(), ${b.tenant.id}, ${b.project.id}, 'human',
        'B agent') returning id`)
    ).rows;
    expectError(
      await api(`/api/v1/contacts/${c.id}`, { token: a.keys.admin, method: "PATCH", body: { assignedAgentId: agent!.id } }),
      422,
      "unprocessable",
    );
  });
});
