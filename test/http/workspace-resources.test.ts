import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

describe("tags, notes, lists, agents", () => {
  let t: Actors;
  let contactId: string;
  beforeAll(async () => {
    t = await createActors(db);
    contactId = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Ana" } })).body.id;
  });

  it("manages tags and attaches them idempotently, with timeline rows", async () => {
    const tag = await api("/api/v1/tags", { token: t.keys.manager, body: { name: "VIP", color: "#ff0000" } });
    expect(tag.status).toBe(201);
    expectError(await api("/api/v1/tags", { token: t.keys.manager, body: { name: "vip" } }), 409, "conflict");
    expectError(await api("/api/v1/tags", { token: t.keys.manager, body: { name: "x", color: "red" } }), 400, "invalid_request");
    for (let i = 0; i < 2; i++) {
      expect((await api(`/api/v1/contacts/${contactId}/tags`, { token: t.keys.user, body: { tagId: tag.body.id } })).status).toBe(200);
    }
    const contact = await api(`/api/v1/contacts/${contactId}`, { token: t.keys.readonly });
    expect(contact.body.tags.map((x: any) => x.name)).toEqual(["VIP"]);
    const filtered = await api(`/api/v1/contacts?tagId=${tag.body.id}`, { token: t.keys.readonly });
    expect(filtered.body.data.map((c: any) => c.id)).toEqual([contactId]);
    expect((await api(`/api/v1/contacts/${contactId}/tags/${tag.body.id}`, { token: t.keys.user, method: "DELETE" })).status).toBe(204);
    expectError(await api(`/api/v1/contacts/${contactId}/tags/${tag.body.id}`, { token: t.keys.user, method: "DELETE" }), 404, "not_found");
    const timeline = await api(`/api/v1/contacts/${contactId}/timeline`, { token: t.keys.readonly });
    expect(timeline.body.data.map((e: any) => e.type).filter((x: string) => x.startsWith("tag."))).toEqual(["tag.removed", "tag.added"]);
  });

  it("adds, lists, edits and deletes notes; only authors, managers and admins edit", async () => {
    const note = await api(`/api/v1/contacts/${contactId}/notes`, { token: t.keys.user, body: { body: "Called, wants a demo" } });
    expect(note.status).toBe(201);
    expect(note.body.authorType).toBe("api_key");
    expectError(await api(`/api/v1/contacts/${contactId}/notes`, { token: t.keys.user, body: { body: "" } }), 400, "invalid_request");
    const pinned = await api(`/api/v1/contacts/${contactId}/notes`, { token: t.keys.admin, body: { body: "Pinned", pinned: true } });
    const list = await api(`/api/v1/contacts/${contactId}/notes`, { token: t.keys.readonly });
    expect(list.body.data.map((n: any) => n.body)).toEqual(["Pinned", "Called, wants a demo"]);
    // The user key did not write the admin's note.
    expectError(
      await api(`/api/v1/notes/${pinned.body.id}`, { token: t.keys.user, method: "PATCH", body: { body: "mine now" } }),
      403,
      "forbidden",
    );
    expect((await api(`/api/v1/notes/${note.body.id}`, { token: t.keys.user, method: "PATCH", body: { pinned: true } })).body.pinned).toBe(
      true,
    );
    expectError(await api(`/api/v1/notes/${note.body.id}`, { token: t.keys.user, method: "PATCH", body: {} }), 400, "invalid_request");
    expect((await api(`/api/v1/notes/${pinned.body.id}`, { token: t.keys.manager, method: "DELETE" })).status).toBe(204);
  });

  it("manages static contact lists and their members", async () => {
    const list = await api("/api/v1/contact-lists", { token: t.keys.manager, body: { name: "Black Friday" } });
    expect(list.status).toBe(201);
    const second = (await api("/api/v1/contacts", { token: t.keys.admin, body: { name: "Bruno" } })).body.id;
    const add = await api(`/api/v1/contact-lists/${list.body.id}/members`, {
      token: t.keys.manager,
      body: { contactIds: [contactId, second, contactId] },
    });
    expect(add.body).toEqual({ added: 2, alreadyMembers: 0 });
    const again = await api(`/api/v1/contact-lists/${list.body.id}/members`, { token: t.keys.manager, body: { contactIds: [second] } });
    expect(again.body).toEqual({ added: 0, alreadyMembers: 1 });
    expectError(
      await api(`/api/v1/contact-lists/${list.body.id}/members`, { token: t.keys.manager, body: { contactIds: [crypto.randomUUID()] } }),
      422,
      "unprocessable",
    );
    expectError(
      await api(`/api/v1/contact-lists/${list.body.id}/members`, { token: t.keys.manager, body: { contactIds: [] } }),
      400,
      "invalid_request",
    );
    const members = await api(`/api/v1/contact-lists/${list.body.id}/members?limit=1`, { token: t.keys.readonly });
    expect(members.body.data).toHaveLength(1);
    expect(members.body.nextCursor).toBeTruthy();
    expect((await api(`/api/v1/contact-lists/${list.body.id}/members/${second}`, { token: t.keys.manager, method: "DELETE" })).status).toBe(
      204,
    );
    const byList = await api(`/api/v1/contacts?listId=${list.body.id}`, { token: t.keys.readonly });
    expect(byList.body.data.map((c: any) => c.id)).toEqual([contactId]);
  });

  it("manages human and AI agents and assigns contacts to them", async () => {
    const ai = await api("/api/v1/agents", { token: t.keys.manager, body: { kind: "ai", name: "Sales bot", config: { model: "gemini" } } });
    expect(ai.status).toBe(201);
    expectError(await api("/api/v1/agents", { token: t.keys.manager, body: { kind: "robot", name: "x" } }), 400, "invalid_request");
    expectError(
      await api("/api/v1/agents", { token: t.keys.manager, body: { kind: "human", name: "x", userId: crypto.randomUUID() } }),
      422,
      "unprocessable",
    );
    const human = await api("/api/v1/agents", { token: t.keys.manager, body: { kind: "human", name: "Admin", userId: t.user.id } });
    expect(human.status).toBe(201);
    const upd = await api(`/api/v1/contacts/${contactId}`, {
      token: t.keys.manager,
      method: "PATCH",
      body: { assignedAgentId: ai.body.id },
    });
    expect(upd.body.assignedAgentId).toBe(ai.body.id);
    // A `user` may not work a contact assigned to someone else.
    expectError(await api(`/api/v1/contacts/${contactId}`, { token: t.keys.user, method: "PATCH", body: { name: "x" } }), 403, "forbidden");
    const page = await api("/api/v1/agents", { token: t.keys.readonly });
    expect(page.body.data.map((a: any) => a.name)).toEqual(["Admin", "Sales bot"]);
    expect((await api("/api/v1/agents?kind=ai&limit=5", { token: t.keys.readonly })).body.data.map((a: any) => a.name)).toEqual([
      "Sales bot",
    ]);
    expectError(await api("/api/v1/agents?kind=robot", { token: t.keys.readonly }), 400, "invalid_request");
    expect(
      (await api(`/api/v1/agents/${ai.body.id}`, { token: t.keys.manager, method: "PATCH", body: { active: false } })).body.active,
    ).toBe(false);
    const { rows } = await db.query.execute<{ type: string }>(
      sql`select type from contact_events where contact_id = ${contactId} and type = 'contact.assigned'`,
    );
    expect(rows).toHaveLength(1);
  });
});
