import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();

/** The domain events written for one resource, sorted (rows of one request share a millisecond). */
const topicsFor = async (key: string, id: string) =>
  (await db.query.execute<{ topic: string }>(sql`select topic from outbox where payload->>${key} = ${id}`)).rows.map((r) => r.topic).sort();

/** The update/get/delete routes not exercised by the scenario tests, each with its happy path and bad input. */
describe("remaining CRUD routes", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });
  const call = (method: string, path: string, body?: unknown, token = t.keys.admin) => api(path, { method, token, body });

  it("tags: rename, recolour, delete", async () => {
    const tag = (await call("POST", "/api/v1/tags", { name: "Lead" })).body;
    expect((await call("PATCH", `/api/v1/tags/${tag.id}`, { name: "Lead quente", color: "#ef4444" })).body).toMatchObject({
      name: "Lead quente",
      color: "#ef4444",
    });
    expect((await call("PATCH", `/api/v1/tags/${tag.id}`, { color: "red" })).status).toBe(400);
    expect((await call("DELETE", `/api/v1/tags/${tag.id}`)).status).toBe(204);
    expect((await call("GET", "/api/v1/tags")).body.data).toEqual([]);
    expect(await topicsFor("tagId", tag.id)).toEqual(["tag.created", "tag.deleted", "tag.updated"]);
  });

  it("contact lists: get, update, delete", async () => {
    const list = (await call("POST", "/api/v1/contact-lists", { name: "Newsletter" })).body;
    expect((await call("GET", `/api/v1/contact-lists/${list.id}`)).body.name).toBe("Newsletter");
    expect((await call("PATCH", `/api/v1/contact-lists/${list.id}`, { description: "mensal" })).body.description).toBe("mensal");
    expect((await call("PATCH", `/api/v1/contact-lists/${list.id}`, { name: "" })).status).toBe(400);
    expect((await call("GET", "/api/v1/contact-lists")).body.data.map((l: any) => l.id)).toEqual([list.id]);
    expect((await call("DELETE", `/api/v1/contact-lists/${list.id}`)).status).toBe(204);
    expect((await call("GET", `/api/v1/contact-lists/${list.id}`)).status).toBe(404);
    expect(await topicsFor("listId", list.id)).toEqual(["list.created", "list.deleted", "list.updated"]);
  });

  it("agents: get and delete", async () => {
    const agent = (await call("POST", "/api/v1/agents", { kind: "ai", name: "Bot" })).body;
    expect((await call("GET", `/api/v1/agents/${agent.id}`)).body.name).toBe("Bot");
    expect((await call("PATCH", `/api/v1/agents/${agent.id}`, { name: "" })).status).toBe(400);
    expect((await call("DELETE", `/api/v1/agents/${agent.id}`)).status).toBe(204);
    expect((await call("GET", `/api/v1/agents/${agent.id}`)).status).toBe(404);
    expect(await topicsFor("agentId", agent.id)).toEqual(["agent.created", "agent.deleted"]);
  });

  it("pipelines and stages: rename both", async () => {
    const p = (await call("POST", "/api/v1/pipelines", { name: "Pós-venda", stages: [{ name: "Aberto" }] })).body;
    expect((await call("PATCH", `/api/v1/pipelines/${p.id}`, { name: "Suporte" })).body.name).toBe("Suporte");
    const stage = await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${p.stages[0].id}`, { name: "Em andamento", kind: "open" });
    expect(stage.body.name).toBe("Em andamento");
    expect((await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${p.stages[0].id}`, { kind: "maybe" })).status).toBe(400);
    // A stage of another pipeline is not found under this one.
    const other = (await call("POST", "/api/v1/pipelines", { name: "Outro", stages: [{ name: "X" }] })).body;
    expect((await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${other.stages[0].id}`, { name: "y" })).status).toBe(404);
  });

  it("channels: list, update, delete", async () => {
    const ch = (
      await call("POST", "/api/v1/channels", { name: "Suporte", wahaSession: `sup${Date.now()}`, baseUrl: "http://waha.local:3000" })
    ).body;
    expect((await call("GET", "/api/v1/channels", undefined, t.keys.readonly)).body.data.map((c: any) => c.id)).toContain(ch.id);
    expect(
      (await call("PATCH", `/api/v1/channels/${ch.id}`, { name: "Suporte 2", baseUrl: "https://waha.example.com/" })).body,
    ).toMatchObject({ name: "Suporte 2", baseUrl: "https://waha.example.com" });
    expect((await call("PATCH", `/api/v1/channels/${ch.id}`, { baseUrl: "not a url" })).status).toBe(400);
    expect((await call("DELETE", `/api/v1/channels/${ch.id}`)).status).toBe(204);
    expect((await call("GET", `/api/v1/channels/${ch.id}`)).status).toBe(404);
    expect(await topicsFor("channelId", ch.id)).toEqual(["channel.created", "channel.deleted", "channel.updated"]);
  });

  it("contact identifiers: remove; current project: get", async () => {
    const c = (await call("POST", "/api/v1/contacts", { name: "Ids", identifiers: [{ kind: "email", value: "ids@example.test" }] })).body;
    const id = (await call("GET", `/api/v1/contacts/${c.id}`)).body.identifiers[0].id;
    expect((await call("POST", `/api/v1/contacts/${c.id}/identifiers`, { kind: "fax", value: "1" })).status).toBe(400);
    expect((await call("DELETE", `/api/v1/contacts/${c.id}/identifiers/${id}`)).status).toBe(204);
    expect((await call("GET", `/api/v1/contacts/${c.id}`)).body.identifiers).toEqual([]);
    expect((await call("GET", "/api/v1/projects/current", undefined, t.keys.readonly)).body).toMatchObject({
      id: t.project.id,
      slug: "main",
    });
  });
});
