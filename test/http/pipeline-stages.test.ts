import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { type ApiResponse, api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();

const topicsFor = async (key: string, id: string) =>
  (await db.query.execute<{ topic: string }>(sql`select topic from outbox where payload->>${key} = ${id}`)).rows.map((r) => r.topic).sort();

/** Database round trips the request made, from its Server-Timing header. */
const roundTrips = (res: ApiResponse) => Number(/db;desc="(\d+) round trips"/.exec(res.headers.get("server-timing") ?? "")?.[1]);

describe("pipeline stages", () => {
  let t: Awaited<ReturnType<typeof createActors>>;
  beforeAll(async () => {
    t = await createActors(db);
  });
  const call = (method: string, path: string, body?: unknown, token = t.keys.manager) => api(path, { method, token, body });
  const newPipeline = async (name: string) =>
    (await call("POST", "/api/v1/pipelines", { name, stages: [{ name: "New" }, { name: "Won", kind: "won" }] })).body;

  it("writes a domain event for every stage change", async () => {
    const p = await newPipeline("Events");
    const added = (await call("POST", `/api/v1/pipelines/${p.id}/stages`, { name: "Demo", position: 1 })).body;
    expect((await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${added.id}`, { color: "#22c55e" })).status).toBe(200);
    expect(
      (
        await call("PUT", `/api/v1/pipelines/${p.id}/stages/order`, { stageIds: [p.stages[1].id, added.id, p.stages[0].id] })
      ).body.stages.map((s: any) => s.name),
    ).toEqual(["Won", "Demo", "New"]);
    expect((await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${added.id}`)).status).toBe(204);
    expect(await topicsFor("pipelineId", p.id)).toEqual([
      "pipeline.created",
      "stage.created",
      "stage.deleted",
      "stage.updated",
      "stages.reordered",
    ]);
    expect(await topicsFor("stageId", added.id)).toEqual(["stage.created", "stage.deleted", "stage.updated"]);
  });

  it("answers 404 for an absent stage before counting its occupants", async () => {
    const p = await newPipeline("Lookup");
    const contact = (await call("POST", "/api/v1/contacts", { name: "Occupant" }, t.keys.admin)).body;
    await call("PUT", `/api/v1/contacts/${contact.id}/stage`, { stageId: p.stages[0].id });
    const other = await newPipeline("Other");
    // An occupied stage addressed through another pipeline does not exist there.
    expectError(await call("DELETE", `/api/v1/pipelines/${other.id}/stages/${p.stages[0].id}`), 404, "not_found");
    const absent = await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${crypto.randomUUID()}`);
    expectError(absent, 404, "not_found");
    // One lookup, like reading the pipeline: no occupant count for a stage that is not there.
    const read = await call("GET", `/api/v1/pipelines/${p.id}`);
    expect(roundTrips(absent)).toBe(roundTrips(read));
    expectError(await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${p.stages[0].id}`), 409, "conflict");
  });

  it("freezes an archived pipeline: no moves into it, no stage edits", async () => {
    const p = await newPipeline("Old funnel");
    const [open, won] = p.stages;
    const contact = (await call("POST", "/api/v1/contacts", { name: "Late lead" }, t.keys.admin)).body;
    expect((await call("DELETE", `/api/v1/pipelines/${p.id}`)).status).toBe(204);

    expectError(await call("PUT", `/api/v1/contacts/${contact.id}/stage`, { stageId: open.id }, t.keys.user), 422, "unprocessable");
    expectError(await call("POST", `/api/v1/pipelines/${p.id}/stages`, { name: "Late" }), 422, "unprocessable");
    expectError(await call("PATCH", `/api/v1/pipelines/${p.id}/stages/${open.id}`, { name: "Renamed" }), 422, "unprocessable");
    expectError(await call("DELETE", `/api/v1/pipelines/${p.id}/stages/${won.id}`), 422, "unprocessable");
    expectError(await call("PUT", `/api/v1/pipelines/${p.id}/stages/order`, { stageIds: [won.id, open.id] }), 422, "unprocessable");

    const { rows } = await db.query.execute<{ stages: number; names: string[]; history: number }>(sql`
      select (select count(*)::int from stages where pipeline_id = ${p.id}) as stages,
             (select array_agg(name order by position) from stages where pipeline_id = ${p.id}) as names,
             (select count(*)::int from contact_stage_history where contact_id = ${contact.id}) as history`);
    expect(rows[0]).toEqual({ stages: 2, names: ["New", "Won"], history: 0 });
    expect(await topicsFor("pipelineId", p.id)).toEqual(["pipeline.created", "pipeline.deleted"]);
  });
});
