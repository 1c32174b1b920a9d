import { z } from "zod";

/**
 * Input schemas every verb shares for the kinds of value that reach Postgres or a browser: dates inside the range
 * Postgres and JavaScript both represent, URLs a browser can only fetch (never run), and free-form JSON bounded in
 * size and depth. Verbs use these instead of `z.coerce.date()`, `z.url()` and `z.record(…, z.unknown())`, so one
 * hostile value cannot take a different path through each verb.
 */

export const MIN_DATE = new Date("1970-01-01T00:00:00.000Z");
export const MAX_DATE = new Date("9999-12-31T23:59:59.999Z");

/** A date (ISO 8601 text or a Date) between 1970 and 9999; anything else is 400, never a Postgres range error. */
export const dateInput = () =>
  z.coerce
    .date({ error: "must be an ISO 8601 date or date-time" })
    .min(MIN_DATE, { error: "must not be before 1970-01-01" })
    .max(MAX_DATE, { error: "must not be after 9999-12-31" });

/** An absolute http(s) URL: `javascript:`, `data:`, `file:` and the like are refused. */
export const httpUrl = (maxLength = 2000) => z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }).max(maxLength);

export const MAX_STORED_JSON_BYTES = 64 * 1024;
export const MAX_STORED_JSON_DEPTH = 16;

/** Size (UTF-8 bytes of its JSON) and depth problems of a free-form value, found without recursion. */
export function storedJsonProblem(value: unknown, maxBytes = MAX_STORED_JSON_BYTES, maxDepth = MAX_STORED_JSON_DEPTH): string | undefined {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length) {
    const [v, depth] = pending.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= maxDepth) return `must not be nested deeper than ${maxDepth} levels`;
    for (const child of Array.isArray(v) ? v : Object.values(v)) pending.push([child, depth + 1]);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    return "must be plain JSON";
  }
  if (text !== undefined && new TextEncoder().encode(text).byteLength > maxBytes) {
    return `must not exceed ${maxBytes / 1024} KiB as JSON`;
  }
  return undefined;
}

/**
 * A free-form JSON object stored as jsonb (custom fields, settings, agent config): keys of at most `maxKeyLength`
 * characters, at most 64 KiB serialized and 16 levels deep.
 */
export const jsonObject = (maxKeyLength = 100) =>
  z.record(z.string().max(maxKeyLength), z.unknown()).superRefine((value, ctx) => {
    const problem = storedJsonProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** A list given as an array (JSON bodies, MCP) or as comma-separated text (a query string). */
export const listInput = <T extends z.ZodType>(item: T, max = 20) =>
  z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : v,
    z.array(item).max(max),
  );

/** A yes/no given as JSON (`true`) or as query-string text (`"true"`); anything else is refused, never coerced. */
export const flagInput = () => z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);

const DECIMAL = /^-?\d{1,15}(\.\d{1,15})?$/;

/**
 * A number sent as JSON or as query-string text in plain decimal notation. `numberInput(z.number())` reads "" as 0,
 * "0x10" as 16 and "1e3" as 1000; here any text that is not a plain decimal stays text, and the number schema
 * refuses it with a 400.
 */
export const numberInput = <T extends z.ZodNumber>(schema: T) =>
  z.preprocess((v) => (typeof v === "string" && DECIMAL.test(v) ? Number(v) : v), schema);
