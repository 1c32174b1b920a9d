import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { boundedArguments, MAX_RECORDED_ARGUMENTS_CHARS, recordToolCall } from "../../src/mcp/record";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { cursorOf, expectHealthy, expectRejected } from "./support";

const db = testDatabase();
type Actors = Awaited<ReturnType<typeof createActors>>;

describe("shared input schemas: dates, URLs, stored JSON and cursors", () => {
  let a: Actors;
  let token: string;
  let contactId: string;
  const execute = (tool_name: string, args: Record<string, unknown>) =>
    api("/v1/mcp/execute", { token, body: { tool_name, arguments: args } });
  beforeAll(async () => {
    a = await createActors(db);
    token = a.keys.admin;
    for (const name of ["Ana", "Bruno", "Carla"]) {
      const res = await api("/api/v1/contacts", { token, body: { name } });
      contactId = res.body.id;
    }
    for (const [body, pinned] of [
      ["first", true],
      ["second", false],
      ["third", false],
    ] as const) {
      await api(`/api/v1/contacts/${contactId}/notes`, { token, body: { body, pinned } });
    }
  });

  describe('numbers in query strings are plain decimals ("" read as 0 and 0x10 as 16)', () => {
    it("refuses empty, hexadecimal, exponent and padded limits on every list, and takes decimal ones", async () => {
      for (const path of ["/api/v1/contacts", "/api/v1/sessions", "/api/v1/memory/search?query=contrato&"]) {
        const sep = path.endsWith("&") ? "" : "?";
        for (const value of ["", "0x10", "1e1", " 5", "5 ", "Infinity", "NaN", "0b11"]) {
          const err = expectRejected(await api(`${path}${sep}limit=${encodeURIComponent(value)}`, { token }), 400, "invalid_request");
          expect(err.details[0].path, `${path} limit=${value}`).toBe("limit");
        }
        expect((await api(`${path}${sep}limit=5`, { token })).status).toBe(200);
      }
      await expectHealthy();
    });
  });

  describe("dates are bounded to 1970–9999 (they were 500s: 22008/22009)", () => {
    const bad = ["275760-09-13", "-271821-04-20", "+275760-09-13T00:00:00Z", "0001-01-01", "1969-12-31T23:59:59Z", "garbage", "1e400"];
    it("REST createdAfter / createdBefore", async () => {
      for (const value of bad) {
        for (const field of ["createdAfter", "createdBefore"]) {
          const err = expectRejected(
            await api(`/api/v1/contacts?${field}=${encodeURIComponent(value)}`, { token }),
            400,
            "invalid_request",
          );
          expect(err.details[0].path, value).toBe(field);
        }
      }
      expect((await api("/api/v1/contacts?createdAfter=2024-01-01&createdBefore=9999-12-31", { token })).status).toBe(200);
      await expectHealthy();
    });

    it("MCP analytics from / to", async () => {
      for (const value of bad) {
        for (const field of ["from", "to"]) {
          const err = expectRejected(await execute("get_leads_count", { [field]: value }), 400, "invalid_request");
          expect(err.details[0].path, value).toBe(field);
        }
      }
      expect((await execute("get_leads_count", { from: "1970-01-01", to: "9999-12-31" })).status).toBe(200);
      expect((await execute("get_agent_stats", { from: "2024-01-01T00:00:00Z" })).status).toBe(200);
    });
  });

  describe("URLs are http(s) only", () => {
    const hostile = [
      "javascript:alert(1)",
      "data:text/html,<script>alert(1)</script>",
      "file:///etc/passwd",
      "vbscript:msgbox",
      "ftp://x.test/a",
      "/relative",
    ];
    it("contacts profilePictureUrl on create, update and the MCP tool (javascript: was accepted)", async () => {
      for (const url of hostile) {
        expectRejected(await api("/api/v1/contacts", { token, body: { profilePictureUrl: url } }), 400, "invalid_request");
        const patch = await api(`/api/v1/contacts/${contactId}`, { token, method: "PATCH", body: { profilePictureUrl: url } });
        expect(expectRejected(patch, 400, "invalid_request").details[0].path).toBe("profilePictureUrl");
      }
      const ok = await api("/api/v1/contacts", { token, body: { profilePictureUrl: "https://cdn.example.test/p.jpg" } });
      expect(ok.status).toBe(201);
    });

    it("channel baseUrl and message media url", async () => {
      for (const url of hostile) {
        const channel = await api("/api/v1/channels", { token, body: { name: "C", wahaSession: "s-url", baseUrl: url } });
        expectRejected(channel, 400, "invalid_request");
        const message = await api("/api/v1/messages", {
          token,
          body: { contactId, contentType: "image", media: { url, mimetype: "image/png" } },
        });
        expectRejected(message, 400, "invalid_request");
      }
    });
  });

  describe("stored JSON is bounded (a 900 KB custom field was stored)", () => {
    const big = { blob: "x".repeat(70 * 1024) };
    it("custom fields, agent config and channel settings refuse more than 64 KiB", async () => {
      const create = expectRejected(await api("/api/v1/contacts", { token, body: { customFields: big } }), 400, "invalid_request");
      expect(create.details[0]).toMatchObject({ path: "customFields", message: expect.stringContaining("64 KiB") });
      expectRejected(
        await api(`/api/v1/contacts/${contactId}`, { token, method: "PATCH", body: { customFields: big } }),
        400,
        "invalid_request",
      );
      expectRejected(await execute("update_contact", { contact_id: contactId, custom_fields: big }), 400, "invalid_request");
      expectRejected(await api("/api/v1/agents", { token, body: { kind: "ai", name: "Bot", config: big } }), 400, "invalid_request");
      const channel = await api("/api/v1/channels", {
        token,
        body: { name: "C", wahaSession: "s-big", baseUrl: "http://waha.test", settings: big },
      });
      expect(expectRejected(channel, 400, "invalid_request").details[0].path).toBe("settings");
      const ok = await api("/api/v1/contacts", { token, body: { customFields: { blob: "x".repeat(60 * 1024) } } });
      expect(ok.status).toBe(201);
    });
  });

  describe("cursors are checked against the schema of what they were made from (they were 500s: 42883/42601)", () => {
    const id = "01a21b6f-8041-7fb4-b421-083ee555c908";
    const tampered = [
      [[1, 2], id],
      [[], id],
      [{ a: 1 }, id],
      [null, id],
      ["2024-01-01 00:00:00+00", "not-a-uuid"],
      ["x\u0000", id],
      [1, id, 3],
    ];

    it("contacts, in every sort order", async () => {
      for (const sort of ["createdAt", "updatedAt", "name", "lastInteractionAt"]) {
        for (const values of [...tampered, [true, id]]) {
          const res = await api(`/api/v1/contacts?sort=${sort}&cursor=${cursorOf(values)}`, { token });
          expect(expectRejected(res, 400, "invalid_request").details[0].path).toBe("cursor");
        }
      }
      for (const sort of ["createdAt", "updatedAt", "lastInteractionAt"]) {
        expectRejected(await api(`/api/v1/contacts?sort=${sort}&cursor=${cursorOf(["Ana", id])}`, { token }), 400, "invalid_request");
      }
      await expectHealthy();
    });

    it("timeline, notes and id-ordered lists, on REST and MCP", async () => {
      for (const values of tampered) {
        const c = cursorOf(values);
        expectRejected(await api(`/api/v1/contacts/${contactId}/timeline?cursor=${c}`, { token }), 400, "invalid_request");
        expectRejected(await api(`/api/v1/contacts/${contactId}/notes?cursor=${c}`, { token }), 400, "invalid_request");
        expectRejected(await execute("get_contacts", { cursor: c }), 400, "invalid_request");
      }
      expectRejected(await api(`/api/v1/contacts/${contactId}/notes?cursor=${cursorOf(["true", id])}`, { token }), 400, "invalid_request");
      for (const values of [[[1]], [{}], [null], ["not-a-uuid"], [1], [id, id]]) {
        const c = cursorOf(values);
        expectRejected(await api(`/api/v1/sessions?cursor=${c}`, { token }), 400, "invalid_request");
        expectRejected(await api(`/api/v1/agents?cursor=${c}`, { token }), 400, "invalid_request");
        expectRejected(await api(`/api/v1/contact-lists?cursor=${c}`, { token }), 400, "invalid_request");
        expectRejected(await api(`/api/v1/messages?contactId=${contactId}&cursor=${c}`, { token }), 400, "invalid_request");
      }
    });

    it("cursors the API made still page through every list", async () => {
      const all = (await api("/api/v1/contacts?limit=100", { token })).body.data.map((c: any) => c.id).sort();
      for (const sort of ["createdAt", "updatedAt", "name", "lastInteractionAt"]) {
        for (const order of ["asc", "desc"]) {
          const seen: string[] = [];
          let cursor: string | null = null;
          do {
            const res: any = await api(`/api/v1/contacts?sort=${sort}&order=${order}&limit=1${cursor ? `&cursor=${cursor}` : ""}`, {
              token,
            });
            expect(res.status, `${sort} ${order}: ${JSON.stringify(res.body)}`).toBe(200);
            seen.push(...res.body.data.map((c: any) => c.id));
            cursor = res.body.nextCursor;
          } while (cursor);
          expect([...seen].sort(), `${sort} ${order}`).toEqual(all);
        }
      }
      const notes: string[] = [];
      let cursor: string | null = null;
      do {
        const res: any = await api(`/api/v1/contacts/${contactId}/notes?limit=1${cursor ? `&cursor=${cursor}` : ""}`, { token });
        expect(res.status).toBe(200);
        notes.push(...res.body.data.map((n: any) => n.body));
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(notes).toEqual(["first", "third", "second"]);
      const timeline = await api(`/api/v1/contacts/${contactId}/timeline?limit=1`, { token });
      expect((await api(`/api/v1/contacts/${contactId}/timeline?limit=1&cursor=${timeline.body.nextCursor}`, { token })).status).toBe(200);
    });
  });

  describe("MCP recording", () => {
    it("stores small arguments as they are and large ones truncated with a marker (8 MiB were stored verbatim)", async () => {
      const small = { contact_id: contactId, note: "ok" };
      expect(boundedArguments(small)).toEqual(small);
      expect(boundedArguments(undefined)).toBeNull();
      const huge = { junk: `${"x".repeat(MAX_RECORDED_ARGUMENTS_CHARS)}😀${"y".repeat(900 * 1024)}` };
      const bounded = boundedArguments(huge) as { truncated: boolean; originalChars: number; preview: string };
      expect(bounded).toMatchObject({ truncated: true, originalChars: JSON.stringify(huge).length });
      expect(bounded.preview.length).toBeLessThanOrEqual(MAX_RECORDED_ARGUMENTS_CHARS);

      const principal = a.ctx.principal;
      const call = { tool: `t-${crypto.randomUUID()}`, outcome: "ok" as const, durationMs: 1 };
      await recordToolCall(db, principal, call, huge, "execute");
      const { rows } = await db.query.execute<{ input: any; size: number }>(
        sql`select input, pg_column_size(input) as size from agent_executions where name = ${call.tool}`,
      );
      expect(rows[0]!.input).toMatchObject({ surface: "execute", arguments: { truncated: true } });
      expect(rows[0]!.size).toBeLessThan(2 * MAX_RECORDED_ARGUMENTS_CHARS);
    });
  });
});
