import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { inboundText, postWaha } from "../support/waha";

/**
 * The permanent sweep: every route of /openapi.json and every MCP tool, fed generated hostile input — strings with
 * NUL and lone surrogates, huge strings, deep nesting, wrong types, extreme numbers and dates, forged cursors, odd
 * content types. Whatever comes back must be an answer (never a hang), never a 5xx, and every 4xx has the documented
 * error shape. New routes and tools are swept without anyone adding a test. Seeded and bounded: SWEEP_SEED replays a
 * failure (fast-check prints the seed and the counterexample), SWEEP_RUNS widens it.
 */
const db = testDatabase();
const SEED = Number(process.env.SWEEP_SEED ?? 20261127);
const RUNS = Number(process.env.SWEEP_RUNS ?? 8);

/** encodeURIComponent throws on a lone surrogate; a client would send its UTF-8-ish bytes, as here. */
const encodePart = (v: unknown) => {
  try {
    return encodeURIComponent(String(v));
  } catch {
    return "%ED%A0%80";
  }
};
const b64url = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const deep = (depth: number) => {
  let v: unknown = "x";
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
};

const hostileString = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      "\u0000",
      "a\u0000b",
      "\ud800",
      "x\udfffy",
      "'; drop table contacts; --",
      "../../etc/passwd",
      "javascript:alert(1)",
      "file:///etc/passwd",
      "data:text/html,<script>alert(1)</script>",
      "275760-09-13",
      "0000-00-00",
      "-271821-04-19T00:00:00Z",
      "1e400",
      "NaN",
      "__proto__",
      "%00",
      "",
      " ",
    ),
  },
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.nat({ max: 3 }).map((k) => "\u{1F600}".repeat(10 ** k)),
  fc.constant("x".repeat(100_000)),
);
const forgedCursor = fc.oneof(
  fc.constantFrom("[]", "[null,null]", '[{"a":1},[1]]', '["275760-09-13","not-a-uuid"]', '[1e400,"x"]', '"x"', "{}").map(b64url),
  fc.string({ maxLength: 30 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom(-0, 1e308, -1e308, 2 ** 53 + 1, -1, 0, 1.5, Number.MAX_SAFE_INTEGER),
  fc.integer(),
  fc.double({ noNaN: true }),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(deep(64), deep(2000), [[[[[]]]]], { __proto__: { admin: true } }, { constructor: { prototype: {} } }),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 10 }), hostileString, { maxKeys: 3 }),
);

/** A value for a field: hostile for its type, sometimes of another type altogether. */
function valueFor(name: string, schema: any): fc.Arbitrary<unknown> {
  if (name === "cursor") return forgedCursor;
  const s = schema?.anyOf?.find((b: any) => b.type !== "null") ?? schema ?? {};
  const typed =
    s.type === "integer" || s.type === "number"
      ? hostileNumber
      : s.type === "string" && s.format === "uuid"
        ? fc.oneof(fc.uuid(), hostileString)
        : s.type === "string"
          ? hostileString
          : hostileValue;
  return fc.oneof({ weight: 3, arbitrary: typed }, { weight: 1, arbitrary: hostileValue });
}

function objectFor(schema: any): fc.Arbitrary<Record<string, unknown>> {
  const props: Record<string, any> = schema?.properties ?? {};
  const names = Object.keys(props);
  if (!names.length) return fc.dictionary(fc.string({ maxLength: 8 }), hostileValue, { maxKeys: 2 });
  return fc.record(Object.fromEntries(names.map((n) => [n, valueFor(n, props[n])])), { requiredKeys: [] });
}

interface Operation {
  method: string;
  path: string;
  params: { name: string; in: string; schema: any }[];
  body?: any;
}

function resolve(doc: any, schema: any): any {
  if (schema?.$ref)
    return resolve(
      doc,
      schema.$ref
        .split("/")
        .slice(1)
        .reduce((o: any, k: string) => o?.[k], doc),
    );
  return schema;
}

async function operations(): Promise<Operation[]> {
  const doc = (await api("/openapi.json")).body;
  return Object.entries<any>(doc.paths).flatMap(([path, methods]) =>
    Object.entries<any>(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      params: (op.parameters ?? []).map((p: any) => ({ ...p, schema: resolve(doc, p.schema) })),
      body: resolve(doc, op.requestBody?.content?.["application/json"]?.schema),
    })),
  );
}

/** Never a 5xx; a 4xx always carries `{ error: { code, message, requestId } }`. */
function expectAnswered(label: string, res: { status: number; body: any }) {
  expect(res.status, `${label} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`).toBeLessThan(500);
  if (res.status >= 400 && res.status !== 405) {
    expect(typeof res.body?.error?.code, `${label}: error shape`).toBe("string");
    expect(typeof res.body?.error?.message, `${label}: error shape`).toBe("string");
  }
}

const CONTENT_TYPES = ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""];

describe("hostile input sweep over every route and tool", () => {
  let token: string;
  let ops: Operation[];
  let channel: Awaited<ReturnType<Awaited<ReturnType<typeof createActors>>["channel"]>>;
  beforeAll(async () => {
    const t = await createActors(db);
    token = t.keys.admin;
    channel = await t.channel();
    ops = await operations();
  });

  it("every documented route answers generated hostile parameters and bodies without a 5xx", async () => {
    expect(ops.length).toBeGreaterThan(60);
    for (const op of ops) {
      if (op.path === "/api/v1/auth/login") continue; // rate limited per client and e-mail: swept below with few runs
      const pathParams = op.params.filter((p) => p.in === "path");
      const queryParams = op.params.filter((p) => p.in === "query");
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            path: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, valueFor(p.name, p.schema)]))),
            query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valueFor(p.name, p.schema)])), { requiredKeys: [] }),
            body: op.body ? objectFor(op.body) : fc.constant(undefined),
            contentType: fc.constantFrom(...CONTENT_TYPES),
          }),
          async ({ path, query, body, contentType }) => {
            const url =
              op.path.replace(/\{(\w+)\}/g, (_, n: string) => encodePart(path[n])) +
              (Object.keys(query).length
                ? `?${new URLSearchParams(Object.entries(query).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]))}`
                : "");
            const withBody = op.method !== "GET" && op.method !== "DELETE";
            const res = await api(url, {
              method: op.method,
              token,
              ...(withBody ? { rawBody: JSON.stringify(body ?? {}), headers: contentType ? { "content-type": contentType } : {} } : {}),
            });
            expectAnswered(`${op.method} ${op.path}`, res);
          },
        ),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    }
  });

  it("every MCP tool answers generated hostile arguments with a result or an error, never a 5xx", async () => {
    const tools = (await api("/v1/mcp/tools", { token })).body.tools as { name: string; inputSchema: any }[];
    expect(tools.length).toBeGreaterThan(20);
    for (const tool of tools) {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof({ weight: 4, arbitrary: objectFor(tool.inputSchema) }, { weight: 1, arbitrary: hostileValue }),
          async (args) => {
            const res = await api("/v1/mcp/execute", { token, body: { tool_name: tool.name, arguments: args } });
            expectAnswered(`tool ${tool.name}`, res);
          },
        ),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    }
  });

  it("signed WAHA deliveries with hostile payloads are accepted or rejected, never a 5xx", async () => {
    const events = ["message", "message.any", "message.ack", "message.reaction", "message.revoked", "message.edited", "session.status"];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...events),
        fc.record({ text: hostileString, timestamp: hostileNumber, from: hostileString, extra: hostileValue }),
        async (event, h) => {
          const payload = { ...inboundText(typeof h.from === "string" ? h.from : "x", h.text), timestamp: h.timestamp, extra: h.extra };
          const res = await postWaha(channel, event, payload);
          expect(res.status, `${event} ${JSON.stringify(res.body)?.slice(0, 200)}`).toBeLessThan(500);
        },
      ),
      { seed: SEED, numRuns: RUNS * 10, endOnFailure: true },
    );
  });

  it("login answers hostile credentials without a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.record({ email: hostileValue, password: hostileValue }), async (creds) => {
        expectAnswered("POST /api/v1/auth/login", await api("/api/v1/auth/login", { body: creds }));
      }),
      { seed: SEED, numRuns: 6, endOnFailure: true },
    );
  });
});
