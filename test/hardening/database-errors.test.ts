import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { fromDatabaseError, normalizeError } from "../../src/lib/errors";
import { createContactVerb, updateContactVerb } from "../../src/services/contacts/verbs";
import { callVerb } from "../../src/services/verbs/define";
import { testDatabase } from "../support/db";
import { createTenantFixture, type TenantFixture } from "../support/fixtures";

const db = testDatabase();

/** The error a query throws, through the same driver and ORM the Worker uses. */
async function failureOf(query: ReturnType<typeof sql>) {
  try {
    await db.query.execute(query);
  } catch (err) {
    return err;
  }
  throw new Error("the query did not fail");
}

/** Neither the SQL nor its parameters may reach the caller. */
function expectNoSql(error: { message: string; details?: unknown }, ...secrets: string[]) {
  const shown = JSON.stringify({ message: error.message, details: error.details });
  expect(shown).not.toMatch(/select|insert|update|params|\$1/i);
  for (const s of secrets) expect(shown).not.toContain(s);
}

describe("database data exceptions (SQLSTATE 22xxx) and program limits (54xxx) are 400 invalid_request", () => {
  let t: TenantFixture;
  beforeAll(async () => {
    t = await createTenantFixture(db);
  });

  const cases: [string, ReturnType<typeof sql>][] = [
    ["22P02 invalid text representation", sql`select ${"not-a-number"}::int`],
    ["22003 numeric out of range", sql`select ${"99999999999"}::int`],
    ["22008 datetime out of range", sql`select ${"2024-13-45"}::date`],
    ["22007 invalid datetime format", sql`select ${"next tuesday-ish"}::date`],
    // What a JavaScript Date of year 275760 becomes as a parameter (it was a 500 on GET /contacts?createdAfter=…).
    ["2200? +275760-09-13T00:00:00.000Z", sql`select ${"+275760-09-13T00:00:00.000Z"}::timestamptz`],
    ["22012 division by zero", sql`select 1 / ${0}::int`],
    ["22P05 untranslatable character", sql`select ${'"\\u0000"'}::jsonb`],
    ["2201B invalid regular expression", sql`select 'x' ~ ${"("}`],
    ["54000 program limit exceeded", sql`select chr(${0}::int)`],
  ];
  for (const [name, query] of cases) {
    it(`${name}: from the real database`, async () => {
      const err = await failureOf(query);
      const mapped = normalizeError(err);
      expect(mapped.code, String(err)).toBe("invalid_request");
      expect(mapped.status).toBe(400);
      expect((mapped.details as unknown as { sqlstate: string }[])[0]!.sqlstate).toMatch(
        new RegExp(`^${name.slice(0, 5).replace("?", ".")}$`),
      );
      expectNoSql(mapped, "not-a-number", "275760");
    });
  }

  it("maps every code of both classes, with the field when the database names the column", () => {
    for (const code of ["22000", "22001", "22021", "2200D", "22P06", "22030", "22032", "54000", "54001", "54011", "54023", "54999"]) {
      const wrapped = {
        message: "Failed query: insert into contacts values ($1)\nparams: secret",
        cause: { code, column: "custom_fields" },
      };
      const mapped = fromDatabaseError(wrapped);
      if (!mapped) throw new Error(`${code} was not mapped`);
      expect(mapped.status, code).toBe(400);
      expect(mapped.code).toBe("invalid_request");
      expect((mapped.details as { path: string }[])[0]!.path).toBe("customFields");
      expect(mapped.message).toContain("customFields");
      expectNoSql(mapped, "secret");
    }
    expect(fromDatabaseError({ code: "54001" })?.message).toMatch(/nested too deeply|too complex/);
    // Not the caller's fault: left to be a 500.
    expect(fromDatabaseError({ code: "53300" })).toBeUndefined();
    expect(fromDatabaseError({ code: "08006" })).toBeUndefined();
    expect(normalizeError({ code: "42601", message: "syntax error at or near select" }).status).toBe(500);
  });

  it("a verb reached without the HTTP guard (queue, RPC) still answers 400 for text Postgres refuses", async () => {
    const failures = [
      () => callVerb(createContactVerb, t.ctx, { name: "a\u0000b" }),
      () => callVerb(createContactVerb, t.ctx, { customFields: { k: "\u0000" } }),
    ];
    for (const fail of failures) {
      const err = await fail().then(
        () => undefined,
        (e: unknown) => e,
      );
      const mapped = normalizeError(err);
      expect(mapped.code, String(err)).toBe("invalid_request");
      expectNoSql(mapped);
    }
    const contact = await callVerb(createContactVerb, t.ctx, { name: "ok" });
    const err = await callVerb(updateContactVerb, t.ctx, { contactId: contact.id, name: "x\u0000" }).catch((e: unknown) => e);
    expect(normalizeError(err).status).toBe(400);
  });
});
