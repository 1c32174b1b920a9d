import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectError } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

describe("AI settings over REST", () => {
  let t: Actors;
  let other: Actors;
  beforeAll(async () => {
    [t, other] = await Promise.all([createActors(db), createActors(db)]);
  });

  it("defaults until configured: AI off, quiet window 3 s, 30 s timeout", async () => {
    const res = await api("/api/v1/ai-settings", { token: t.keys.readonly });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      configured: false,
      effective: {
        enabled: false,
        agentType: "CustomerService",
        quietWindowMs: 3000,
        streaming: false,
        onFailure: "nothing",
        timeoutSeconds: 30,
      },
      channels: [],
    });
  });

  it("admin and manager change settings; user and readonly may not", async () => {
    for (const role of ["user", "readonly"] as const) {
      expectError(await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys[role], body: { enabled: true } }), 403, "forbidden");
    }
    const hours = { timeZone: "America/Sao_Paulo", days: { "1": [["09:00", "18:00"]] } };
    const res = await api("/api/v1/ai-settings", {
      method: "PATCH",
      token: t.keys.manager,
      body: { enabled: true, businessHours: hours, quietWindowMs: 1500, optOutTag: "no-bot", rateLimitCount: 10 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      configured: true,
      effective: { enabled: true, businessHours: hours, quietWindowMs: 1500, optOutTag: "no-bot" },
    });
    const again = await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys.admin, body: { streaming: true } });
    expect(again.body.effective).toMatchObject({ enabled: true, streaming: true, quietWindowMs: 1500 });
  });

  it("refuses bad input with the field named, and inconsistent settings with 422", async () => {
    const bad = [
      { quietWindowMs: -1 },
      { timeoutSeconds: 0 },
      { businessHours: { timeZone: "Mars/Olympus", days: {} } },
      { businessHours: { timeZone: "UTC", days: { "8": [["09:00", "18:00"]] } } },
      { businessHours: { timeZone: "UTC", days: { "1": [["18:00", "09:00"]] } } },
      { onFailure: "explode" },
      { agentType: "no spaces allowed" },
      {},
    ];
    for (const body of bad)
      expectError(await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys.admin, body }), 400, "invalid_request");
    expectError(
      await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys.admin, body: { onFailure: "fallback_text" } }),
      422,
      "unprocessable",
    );
    expectError(
      await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys.admin, body: { handoverAgentId: crypto.randomUUID() } }),
      422,
      "unprocessable",
    );
  });

  it("a channel override wins, null inherits; another tenant's channel is 404", async () => {
    const channel = await t.channel();
    const res = await api(`/api/v1/ai-settings/channels/${channel.id}`, {
      method: "PATCH",
      token: t.keys.admin,
      body: { agentType: "Sales", quietWindowMs: null },
    });
    expect(res.status).toBe(200);
    const entry = res.body.channels.find((c: any) => c.channelId === channel.id);
    expect(entry.overrides).toMatchObject({ agentType: "Sales", quietWindowMs: null });
    expect(entry.effective).toMatchObject({ agentType: "Sales", quietWindowMs: 1500, enabled: true });
    const foreign = await other.channel();
    expectError(
      await api(`/api/v1/ai-settings/channels/${foreign.id}`, { method: "PATCH", token: t.keys.admin, body: { enabled: false } }),
      404,
      "not_found",
    );
    // The other tenant sees none of it.
    const theirs = await api("/api/v1/ai-settings", { token: other.keys.admin });
    expect(theirs.body).toMatchObject({ configured: false, channels: [] });
    const rows = await db.query.execute<any>(sql`select count(*)::int as n from ai_settings where project_id = ${other.project.id}`);
    expect(rows.rows[0].n).toBe(0);
  });
});
