import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";

/**
 * A Worker whose database goes through its own fault scope of the local Neon proxy stand-in
 * (`scripts/local-db/neon-proxy.ts`): `fault("down" | "hang" | "ok")` breaks or heals the database for this
 * Worker only — every other test, and this test's own arranging through `testDatabase()`, keeps a working one.
 * The database timeout is configuration (a binding), short here so a hung database answers quickly; no test waits
 * for time to pass.
 */
export function faultyWorker(opts: { timeoutMs?: number } = {}) {
  const endpoint = new URL(env.NEON_HTTP_ENDPOINT);
  const scope = `t${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const workerEnv = {
    ...env,
    NEON_HTTP_ENDPOINT: `${endpoint.origin}/s/${scope}/sql`,
    NEON_WS_PROXY: `${endpoint.host}/s/${scope}/v2`,
    DATABASE_TIMEOUT_MS: String(opts.timeoutMs ?? 500),
  } as Env;

  async function fault(mode: "down" | "hang" | "ok") {
    const res = await fetch(`${endpoint.origin}/__fault`, { method: "POST", body: JSON.stringify({ scope, mode }) });
    if (res.status !== 200) throw new Error(`fault ${mode}: ${res.status} ${await res.text()}`);
    await res.body?.cancel();
  }

  /** One request through the Worker's fetch handler with this environment; background work is awaited too. */
  async function call(
    path: string,
    init: { method?: string; token?: string; body?: unknown; rawBody?: string; headers?: HeadersInit } = {},
  ) {
    const headers = new Headers(init.headers);
    if (init.token) headers.set("authorization", `Bearer ${init.token}`);
    let body = init.rawBody;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const ctx = createExecutionContext();
    const res = await worker.fetch!(
      new Request(`http://crm.test${path}`, { method: init.method ?? (body ? "POST" : "GET"), headers, body }) as never,
      workerEnv,
      ctx,
    );
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed, text, headers: res.headers };
  }

  /** Runs the queue consumer on one message with this environment and reports what it did with it. */
  async function consume(message: { id: string; topic: string; tenantId: string; projectId: string; payload: Record<string, unknown> }) {
    const outcome: { acked: boolean; retried: boolean } = { acked: false, retried: false };
    const msg = {
      id: crypto.randomUUID(),
      timestamp: new Date(),
      attempts: 1,
      body: { ...message, createdAt: new Date().toISOString() },
      ack: () => {
        outcome.acked = true;
      },
      retry: () => {
        outcome.retried = true;
      },
    };
    const batch = { queue: "ventros-events", messages: [msg], ackAll: () => {}, retryAll: () => {} };
    const ctx = createExecutionContext();
    await worker.queue!(batch as never, workerEnv, ctx);
    await waitOnExecutionContext(ctx);
    return outcome;
  }

  return { env: workerEnv, scope, fault, call, consume };
}
