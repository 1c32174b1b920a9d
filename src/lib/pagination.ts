import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { fromBase64Url, toBase64Url } from "./crypto";
import { AppError } from "./errors";

export interface Page<T> {
  data: T[];
  /** Opaque; pass back as `cursor` to get the next page. Null on the last page. */
  nextCursor: string | null;
}

export const encodeCursor = (values: unknown[]) => toBase64Url(new TextEncoder().encode(JSON.stringify(values)));

/** No NUL and no unpaired surrogate: text Postgres can compare. */
function storableText(value: string) {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0) return false;
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = value.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return false;
  }
  return true;
}
const cursorText = () => z.string().max(1000).refine(storableText);

/**
 * What a cursor element may be. A cursor comes back from the client, so every element is checked against the
 * schema of the value it was made from before it reaches SQL: a wrong type there is a 400, not a Postgres error.
 */
export const CursorValue = {
  /** Row ids (uuid v7): the tie-breaker of every keyset and the whole cursor of id-ordered lists. */
  id: z.uuid(),
  /** A timestamptz as Postgres renders it as text (`2026-01-02 03:04:05.678+00`) or as ISO 8601. */
  timestamp: z
    .string()
    .max(40)
    .regex(/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2}){0,2})?$/),
  text: cursorText(),
  number: z.number(),
  boolean: z.boolean(),
  /** Any scalar a sort key can hold, for callers that do not name theirs; never an array, object or null. */
  scalar: z.union([cursorText(), z.number(), z.boolean()]),
} as const;

const invalidCursor = () =>
  new AppError("invalid_request", "cursor is not a cursor returned by this list", [{ path: "cursor", message: "invalid cursor" }]);

/**
 * The values of a cursor, each checked by its element schema (`elements`); a number means that many ids.
 * Anything else — not base64url JSON, another length, a wrong type — is 400 `invalid_request` on `cursor`.
 */
export function decodeCursor(cursor: string, elements: number | readonly z.ZodType[]): unknown[] {
  const schemas = typeof elements === "number" ? Array.from({ length: elements }, () => CursorValue.id) : elements;
  if (cursor.length > 2000) throw invalidCursor();
  let values: unknown;
  try {
    values = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64Url(cursor)));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(values) || values.length !== schemas.length) throw invalidCursor();
  return values.map((value, i) => {
    const parsed = schemas[i]!.safeParse(value);
    if (!parsed.success) throw invalidCursor();
    return parsed.data;
  });
}

/**
 * Keyset pagination on (sort key, id): stable under concurrent inserts and O(limit) at any depth, unlike OFFSET.
 * `sortKey` must never be NULL (wrap nullable columns in coalesce). `value` is the schema of the sort key's cursor
 * value (see `CursorValue`); by default any scalar. Without `sortKey` the time-ordered id alone is the key and the
 * cursor is `[id]`.
 */
export function keyset(opts: { sortKey?: SQL; id: AnyPgColumn; direction: "asc" | "desc"; cursor?: string; value?: z.ZodType }) {
  const dir = opts.direction === "asc" ? sql`asc` : sql`desc`;
  if (!opts.sortKey) {
    const [after] = opts.cursor ? decodeCursor(opts.cursor, 1) : [];
    const op = opts.direction === "asc" ? sql`>` : sql`<`;
    return { where: opts.cursor ? sql`${opts.id} ${op} ${after}` : undefined, orderBy: [sql`${opts.id} ${dir}`] };
  }
  const orderBy = [sql`${opts.sortKey} ${dir}`, sql`${opts.id} ${dir}`];
  let where: SQL | undefined;
  if (opts.cursor) {
    const [value, id] = decodeCursor(opts.cursor, [opts.value ?? CursorValue.scalar, CursorValue.id]);
    const op = opts.direction === "asc" ? sql`>` : sql`<`;
    where = sql`(${opts.sortKey}, ${opts.id}) ${op} (${value}, ${id})`;
  }
  return { where, orderBy };
}

/** Fetch `limit + 1` rows; this trims the extra one and builds the cursor from the last row kept. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => unknown[]): Page<T> {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  return { data, nextCursor: hasMore && data.length ? encodeCursor(cursorOf(data[data.length - 1]!)) : null };
}
