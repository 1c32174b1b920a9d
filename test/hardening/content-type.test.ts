import { beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { expectHealthy, expectRejected, send } from "./support";

const db = testDatabase();

describe("Content-Type: a body that is not labelled JSON gets 415 naming the accepted type (it was a 500)", () => {
  let auth: Record<string, string>;
  beforeAll(async () => {
    const a = await createActors(db);
    auth = { authorization: `Bearer ${a.keys.admin}` };
  });

  const body = '{"name":"Maria"}';
  const surfaces = [
    ["REST", "/api/v1/contacts", body],
    ["MCP execute", "/v1/mcp/execute", '{"tool_name":"get_contacts","arguments":{}}'],
  ] as const;

  for (const [name, path, payload] of surfaces) {
    it(`${name}: a wrong Content-Type`, async () => {
      for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"]) {
        const err = expectRejected(
          await send(path, { headers: { ...auth, "content-type": type }, body: payload }),
          415,
          "unsupported_media_type",
        );
        expect(err.message).toContain("application/json");
        expect(err.details).toMatchObject({ accepted: ["application/json"], received: type });
      }
      await expectHealthy();
    });

    it(`${name}: a body without any Content-Type`, async () => {
      const err = expectRejected(
        await send(path, { headers: auth, body: new TextEncoder().encode(payload) }),
        415,
        "unsupported_media_type",
      );
      expect(err.details).toEqual({ accepted: ["application/json"] });
    });
  }

  it("accepts JSON with parameters and +json types", async () => {
    for (const type of ["application/json; charset=utf-8", "APPLICATION/JSON", "application/merge-patch+json"]) {
      const res = await send("/api/v1/contacts", { headers: { ...auth, "content-type": type }, body });
      expect(res.status, `${type}: ${JSON.stringify(res.body)}`).toBe(201);
    }
  });

  it("standard MCP: a wrong Content-Type", async () => {
    const rpc = '{"jsonrpc":"2.0","id":1,"method":"tools/list"}';
    const res = await send("/mcp", {
      headers: { ...auth, accept: "application/json, text/event-stream", "content-type": "text/plain" },
      body: rpc,
    });
    expectRejected(res, 415, "unsupported_media_type");
  });
});
