import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { addMemberByInvitation } from "../support/invitations";

const db = testDatabase();

/**
 * "A project keeps at least one admin" must hold when two requests race: each alone is allowed (the other admin
 * remains), together they are not. The assertions hold whichever request the database serves first, so the test
 * does not depend on timing; before the rule was atomic both checks passed and the project was left without admin.
 */
describe("the last admin under concurrent changes", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });

  const admins = async () =>
    (
      await db.query.execute<{ id: string }>(
        sql`select id from memberships where project_id = ${t.project.id} and role = 'admin' order by id`,
      )
    ).rows.map((r) => r.id);

  /** Brings the project back to exactly two admin memberships and returns them. */
  async function twoAdmins() {
    const current = await admins();
    for (let i = current.length; i < 2; i++) {
      await addMemberByInvitation(t.keys.admin, { email: `admin-${crypto.randomUUID()}@example.test`, role: "admin" });
    }
    const both = await admins();
    expect(both).toHaveLength(2);
    return both as [string, string];
  }

  const demote = (id: string) => api(`/api/v1/members/${id}`, { token: t.keys.admin, method: "PATCH", body: { role: "user" } });
  const remove = (id: string) => api(`/api/v1/members/${id}`, { token: t.keys.admin, method: "DELETE" });

  async function race(first: (id: string) => Promise<ApiResponse>, second: (id: string) => Promise<ApiResponse>) {
    const [a, b] = await twoAdmins();
    const results = await Promise.all([first(a), second(b)]);
    const statuses = results.map((r) => r.status);
    expect(
      statuses.filter((s) => s === 409),
      JSON.stringify(statuses),
    ).toHaveLength(1);
    expect(
      statuses.filter((s) => s === 200 || s === 204),
      JSON.stringify(statuses),
    ).toHaveLength(1);
    expect(results.find((r) => r.status === 409)!.body.error.code).toBe("conflict");
    expect(await admins()).toHaveLength(1);
  }

  // A few rounds each, since before the fix the lost update only showed when the requests interleaved.
  it("two concurrent demotions of the last two admins: one succeeds, one answers 409", async () => {
    for (let i = 0; i < 3; i++) await race(demote, demote);
  });

  it("two concurrent removals of the last two admins: one succeeds, one answers 409", async () => {
    for (let i = 0; i < 3; i++) await race(remove, remove);
  });

  it("a demotion racing a removal: one succeeds, one answers 409", async () => {
    for (let i = 0; i < 3; i++) await race(demote, remove);
  });
});
