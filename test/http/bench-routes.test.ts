import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { renderError } from "../../src/http/errors";
import { requestContext } from "../../src/http/middleware/request-context";
import { createRouter } from "../../src/http/router";
import { BENCH_PREFIX, benchRoutes } from "../../src/http/routes/bench";
import { AppError } from "../../src/lib/errors";

const paths = [
  ["GET", "/noop"],
  ["GET", "/select"],
  ["POST", "/insert"],
] as const;

/** The bench routes behind the app's own request context and error rendering, with ENVIRONMENT overridden. */
async function benchApp(environment: string, method: string, path: string) {
  const app = createRouter();
  app.use("*", requestContext);
  app.onError(renderError);
  app.notFound((c) => renderError(new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`), c));
  app.route(BENCH_PREFIX, benchRoutes);
  const ctx = createExecutionContext();
  const res = await app.request(`http://crm.test${BENCH_PREFIX}${path}`, { method }, { ...env, ENVIRONMENT: environment }, ctx);
  const body = await res.json<any>();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body, headers: res.headers };
}

describe("bench-only floor routes", () => {
  it("do not exist in the test environment: 404 with the shared error shape, like any unknown route", async () => {
    for (const [method, path] of paths) {
      const res = await exports.default.fetch(`http://crm.test${BENCH_PREFIX}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      const body = await res.json<any>();
      expect(body.error.code).toBe("not_found");
      expect(body.error.requestId).toBe(res.headers.get("X-Request-Id"));
    }
    const doc = await (await exports.default.fetch("http://crm.test/openapi.json")).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).filter((p) => p.startsWith(BENCH_PREFIX))).toEqual([]);
  });

  it("answer 404 wherever ENVIRONMENT is not development, production included", async () => {
    for (const environment of ["test", "production"]) {
      for (const [method, path] of paths) {
        const res = await benchApp(environment, method, path);
        expect(res.status, `${environment} ${method} ${path}`).toBe(404);
        expect(res.body.error.code).toBe("not_found");
      }
    }
  });

  it("serve the floor when enabled (development): no database, then one trivial query", async () => {
    const noop = await benchApp("development", "GET", "/noop");
    expect(noop).toMatchObject({ status: 200, body: { ok: true } });
    expect(noop.headers.get("Server-Timing")).toBe('db;desc="0 round trips"');
    const select = await benchApp("development", "GET", "/select");
    expect(select).toMatchObject({ status: 200, body: { ok: true } });
    expect(select.headers.get("Server-Timing")).toBe('db;desc="1 round trips"');
  });
});
