import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();

describe("note and list member listings", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });
  const call = (method: string, path: string, body?: unknown) => api(path, { method, token: t.keys.admin, body });
  const newContact = async (name: string) => (await call("POST", "/api/v1/contacts", { name })).body.id as string;

  /** Follows nextCursor to the end, returning every row in order. */
  async function walk(path: string, limit: number) {
    const rows: any[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await call("GET", `${path}?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      rows.push(...res.body.data);
      cursor = res.body.nextCursor;
      if (!cursor) return rows;
    }
    throw new Error("pagination did not end");
  }

  it("pages notes on the key they are ordered by (pinned first), losing none", async () => {
    const contactId = await newContact("Notes");
    // The oldest note is pinned: it comes first, and the newer unpinned notes must still follow it.
    for (const [body, pinned] of [
      ["old pinned", true],
      ["first", false],
      ["second", false],
      ["new pinned", true],
      ["third", false],
    ] as const) {
      expect((await call("POST", `/api/v1/contacts/${contactId}/notes`, { body, pinned })).status).toBe(201);
    }
    const expected = ["new pinned", "old pinned", "third", "second", "first"];
    for (const limit of [1, 2, 3]) {
      expect(
        (await walk(`/api/v1/contacts/${contactId}/notes`, limit)).map((n) => n.body),
        `limit ${limit}`,
      ).toEqual(expected);
    }
    expectError(await call("GET", `/api/v1/contacts/${contactId}/notes?cursor=bogus`), 400, "invalid_request");
  });

  it("refuses deleted contacts as list members and leaves them out of member listings", async () => {
    const list = (await call("POST", "/api/v1/contact-lists", { name: "Campaign" })).body;
    const [kept, leaving, gone] = [await newContact("Kept"), await newContact("Leaving"), await newContact("Gone")];
    expect((await call("DELETE", `/api/v1/contacts/${gone}`)).status).toBe(204);
    const refused = expectError(
      await call("POST", `/api/v1/contact-lists/${list.id}/members`, { contactIds: [kept, gone] }),
      422,
      "unprocessable",
    );
    expect(refused.details).toEqual({ missing: [gone] });

    expect((await call("POST", `/api/v1/contact-lists/${list.id}/members`, { contactIds: [kept, leaving] })).body).toEqual({
      added: 2,
      alreadyMembers: 0,
    });
    expect((await call("DELETE", `/api/v1/contacts/${leaving}`)).status).toBe(204);
    for (const limit of [1, 50]) {
      expect(
        (await walk(`/api/v1/contact-lists/${list.id}/members`, limit)).map((c) => c.id),
        `limit ${limit}`,
      ).toEqual([kept]);
    }
  });
});
