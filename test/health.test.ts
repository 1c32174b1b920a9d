import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /health", () => {
  it("reports the database reachable and every migration applied", async () => {
    const res = await exports.default.fetch("http://crm.test/health");
    expect(res.status).toBe(200);
    const body = await res.json<any>();
    expect(body.status).toBe("ok");
    expect(body.database).toBe("up");
    expect(body.migrations.pending).toEqual([]);
    expect(body.migrations.applied).toBe(body.migrations.expected);
    expect(body.migrations.latest).toMatch(/^\d{4}_/);
    expect(body.build.environment).toBe("test");
  });

  it("echoes a well-formed X-Request-Id and generates one otherwise", async () => {
    const echoed = await exports.default.fetch("http://crm.test/health", { headers: { "X-Request-Id": "req-abcdef123" } });
    expect(echoed.headers.get("X-Request-Id")).toBe("req-abcdef123");
    await echoed.body?.cancel();
    const generated = await exports.default.fetch("http://crm.test/health", { headers: { "X-Request-Id": "bad id!" } });
    expect(generated.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    await generated.body?.cancel();
  });

  it("answers unknown routes with the JSON error shape", async () => {
    const res = await exports.default.fetch("http://crm.test/nope");
    expect(res.status).toBe(404);
    const body = await res.json<any>();
    expect(body.error.code).toBe("not_found");
    expect(body.error.requestId).toBe(res.headers.get("X-Request-Id"));
  });
});
