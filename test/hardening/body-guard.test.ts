import { beforeAll, describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH } from "../../src/http/middleware/json-scan";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { expectHealthy, expectRejected, nested, send } from "./support";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;
const MCP_ACCEPT = "application/json, text/event-stream";

describe("body guard: every JSON body is bounded before anything parses it", () => {
  let a: Actors;
  let json: Record<string, string>;
  beforeAll(async () => {
    a = await createActors(db);
    json = { authorization: `Bearer ${a.keys.admin}`, "content-type": "application/json" };
  });

  describe("nesting depth", () => {
    // 10,000 levels in a record field used to hang the whole API (the database never answered).
    const deep = nested(10_000);
    const cases: [string, string, string][] = [
      ["contacts customFields", "/api/v1/contacts", `{"customFields":{"a":${deep}}}`],
      ["agents config", "/api/v1/agents", `{"kind":"ai","name":"Bot","config":{"a":${deep}}}`],
      ["channels settings", "/api/v1/channels", `{"name":"C","wahaSession":"s1","baseUrl":"http://waha.test","settings":{"a":${deep}}}`],
      ["MCP execute arguments", "/v1/mcp/execute", `{"tool_name":"update_contact","arguments":{"custom_fields":{"a":${deep}}}}`],
    ];
    for (const [name, path, body] of cases) {
      it(`refuses ${name} nested 10,000 deep with 400 naming the limit, and keeps answering`, async () => {
        const err = expectRejected(await send(path, { headers: json, body }), 400, "invalid_request");
        expect(err.message).toContain(`${MAX_JSON_DEPTH} levels`);
        expect(err.details[0]).toMatchObject({ limit: MAX_JSON_DEPTH });
        await expectHealthy();
      });
    }

    it("refuses it on the standard MCP endpoint and on webhooks (before signature checks)", async () => {
      const rpc = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_contacts","arguments":{"q":${deep}}}}`;
      expectRejected(await send("/mcp", { headers: { ...json, accept: MCP_ACCEPT }, body: rpc }), 400, "invalid_request");
      const channel = await a.channel();
      const waha = `{"id":"evt_1","event":"message","session":"${channel.wahaSession}","payload":{"_data":${deep}}}`;
      const wahaRes = await send(`/webhooks/waha/${channel.id}`, { headers: { "content-type": "application/json" }, body: waha });
      expect(expectRejected(wahaRes, 400, "invalid_request").message).toContain(`${MAX_JSON_DEPTH} levels`);
      // Webhook senders may omit the Content-Type: the bytes are checked all the same.
      const stripe = await send("/webhooks/stripe", { body: new TextEncoder().encode(`{"id":"evt_1","data":${deep}}`) });
      expectRejected(stripe, 400, "invalid_request");
      await expectHealthy();
    });

    it(`lets ${MAX_JSON_DEPTH} levels through to validation, and names the path where the limit is crossed`, async () => {
      const ok = await send("/api/v1/contacts", { headers: json, body: `{"customFields":{"a":${nested(MAX_JSON_DEPTH - 2)}}}` });
      // Within the body limit, the stored-value limit (16 levels) answers instead: still a 400, from the schema.
      expect(ok.body.error?.details?.[0]?.path).toBe("customFields");
      const shallow = await send("/api/v1/contacts", { headers: json, body: `{"customFields":{"a":${nested(10)}}}` });
      expect(shallow.status).toBe(201);
      const err = expectRejected(
        await send("/api/v1/contacts", { headers: json, body: `{"customFields":{"a":${nested(MAX_JSON_DEPTH - 1)}}}` }),
        400,
        "invalid_request",
      );
      expect(err.details[0].path).toBe(`customFields.a${".0".repeat(MAX_JSON_DEPTH - 2)}`);
    });
  });

  describe("text Postgres cannot store", () => {
    it("refuses \\u0000 in any string of a REST body, naming the field (it was a 500)", async () => {
      for (const [path, method, body] of [
        ["/api/v1/contacts", "POST", { name: "a\u0000b" }],
        ["/api/v1/contacts", "POST", { customFields: { plan: "x\u0000" } }],
        ["/api/v1/contacts", "POST", { customFields: { "k\u0000": 1 } }],
        ["/api/v1/tags", "POST", { name: "\u0000" }],
        ["/api/v1/auth/login", "POST", { email: "a\u0000@example.test", password: "x" }],
      ] as const) {
        const res = await api(path, { method, token: a.keys.admin, body });
        const err = expectRejected(res, 400, "invalid_request");
        expect(err.message).toContain("NUL");
      }
      const named = expectRejected(
        await api("/api/v1/contacts", { token: a.keys.admin, body: { customFields: { plan: "\u0000" } } }),
        400,
        "invalid_request",
      );
      expect(named.details[0].path).toBe("customFields.plan");
      await expectHealthy();
    });

    it("refuses unpaired surrogates, escaped or not, and accepts paired ones", async () => {
      for (const body of ['{"name":"a\\ud800b"}', '{"name":"\\udc00"}', '{"name":"x\\ud83d"}']) {
        expectRejected(await send("/api/v1/contacts", { headers: json, body }), 400, "invalid_request");
      }
      const emoji = await send("/api/v1/contacts", { headers: json, body: '{"name":"ok \\ud83d\\ude00 😀"}' });
      expect(emoji.status).toBe(201);
      expect(emoji.body.name).toBe("ok 😀 😀");
    });

    it("refuses NUL in the query or path (%00) on REST and MCP (it was a 500)", async () => {
      const err = expectRejected(await api("/api/v1/contacts?q=a%00b", { token: a.keys.admin }), 400, "invalid_request");
      expect(err.details[0].path).toBe("query");
      expectRejected(await api("/api/v1/contacts/%00", { token: a.keys.admin }), 400, "invalid_request");
      expectRejected(await api("/v1/mcp/tools?x=%00", { token: a.keys.admin }), 400, "invalid_request");
      await expectHealthy();
    });

    it("refuses NUL in MCP arguments on both surfaces (it was a 500)", async () => {
      const execute = await api("/v1/mcp/execute", {
        token: a.keys.admin,
        body: { tool_name: "get_contacts", arguments: { query: "a\u0000" } },
      });
      expect(expectRejected(execute, 400, "invalid_request").details[0].path).toBe("arguments.query");
      const rpc = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_contacts", arguments: { query: "a\u0000" } } };
      const mcp = await api("/mcp", { token: a.keys.admin, headers: { accept: MCP_ACCEPT }, body: rpc });
      expect(expectRejected(mcp, 400, "invalid_request").details[0].path).toBe("params.arguments.query");
      await expectHealthy();
    });

    it("refuses a body that is not UTF-8 (it was stored with replacement characters)", async () => {
      const bytes = new Uint8Array([...new TextEncoder().encode('{"name":"'), 0xff, 0xfe, ...new TextEncoder().encode('"}')]);
      const err = expectRejected(await send("/api/v1/contacts", { headers: json, body: bytes }), 400, "invalid_request");
      expect(err.message).toContain("UTF-8");
    });
  });

  describe("other hostile JSON", () => {
    it("refuses __proto__ keys (they silently replaced the stored object's prototype)", async () => {
      for (const body of [
        '{"customFields":{"__proto__":{"admin":true}}}',
        '{"__proto__":{"x":1}}',
        '{"customFields":{"\\u005f_proto__":1}}',
      ]) {
        const err = expectRejected(await send("/api/v1/contacts", { headers: json, body }), 400, "invalid_request");
        expect(err.message).toContain("__proto__");
      }
    });

    it("refuses numbers that overflow to Infinity (they were stored as null)", async () => {
      const err = expectRejected(
        await send("/api/v1/contacts", { headers: json, body: '{"customFields":{"n":1e400}}' }),
        400,
        "invalid_request",
      );
      expect(err.details[0].path).toBe("customFields.n");
      const big = await send("/api/v1/contacts", { headers: json, body: '{"customFields":{"n":1e308,"s":"1e400"}}' });
      expect(big.status).toBe(201);
    });

    it("answers arrays, scalars and null where an object is expected with 400", async () => {
      for (const body of ["[1,2]", "null", '"x"', "42", ""]) {
        expectRejected(await send("/api/v1/contacts", { headers: json, body }), 400, "invalid_request");
      }
      expectRejected(
        await api("/v1/mcp/execute", { token: a.keys.admin, body: { tool_name: "get_contacts", arguments: [1] } }),
        400,
        "invalid_request",
      );
    });

    it("answers hostile query values with 400", async () => {
      for (const q of [
        "limit=1e400",
        "limit=-0",
        "limit=1.5",
        "limit=1&limit=2",
        `q=${"a".repeat(5000)}`,
        "sort=__proto__",
        "tagId=x&tagId=y",
      ]) {
        expectRejected(await api(`/api/v1/contacts?${q}`, { token: a.keys.admin }), 400, "invalid_request");
      }
    });
  });

  describe("body size", () => {
    it("bounds both MCP surfaces (the execute route had no limit)", async () => {
      const huge = "x".repeat(2 * 1024 * 1024);
      const execute = await api("/v1/mcp/execute", {
        token: a.keys.admin,
        body: { tool_name: "get_contacts", arguments: { query: huge } },
      });
      expect(expectRejected(execute, 413, "payload_too_large").details).toMatchObject({ limit: 1024 * 1024 });
      const rpc = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get_contacts", arguments: { query: huge } } };
      expectRejected(await api("/mcp", { token: a.keys.admin, headers: { accept: MCP_ACCEPT }, body: rpc }), 413, "payload_too_large");
      await expectHealthy();
    });

    it("bounds a body sent without Content-Length", async () => {
      const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 40) return controller.close();
          sent++;
          controller.enqueue(chunk);
        },
      });
      const res = await send("/v1/mcp/execute", { headers: json, body: stream as unknown as Uint8Array });
      expectRejected(res, 413, "payload_too_large");
    });
  });
});
