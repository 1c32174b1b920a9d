import { exports } from "cloudflare:workers";
import { hc } from "hono/client";
import { describe, expect, it } from "vitest";
import type { ContactsApi, ConversationsApi } from "../../src/client";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

describe("typed clients (hc)", () => {
  it("calls the API with typed paths, inputs and responses", async () => {
    const t = await createActors(testDatabase());
    const options = {
      fetch: (input: RequestInfo | URL, init?: RequestInit) => exports.default.fetch(input, init),
      headers: { authorization: `Bearer ${t.keys.admin}` },
    };
    const contacts = hc<ContactsApi>("http://crm.test/api/v1/contacts", options);
    const created = await contacts.index.$post({ json: { name: "Typed", phone: "+55 11 95555-0000" } });
    expect(created.status).toBe(201);
    if (created.status !== 201) return;
    const contact = await created.json();
    const res = await contacts[":contactId"].$get({ param: { contactId: contact.id } });
    expect(res.status).toBe(200);
    if (res.status === 200) expect((await res.json()).phone).toBe("5511955550000");
    const conversations = hc<ConversationsApi>("http://crm.test/api/v1", options);
    const timeline = await conversations.contacts[":contactId"].timeline.$get({ param: { contactId: contact.id }, query: {} });
    expect(timeline.status).toBe(200);
    if (timeline.status === 200) expect((await timeline.json()).data.map((e) => e.type)).toEqual(["contact.created"]);
  });
});
