import { type SQL, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { fromBase64Url, toBase64Url } from "./crypto";
import { AppError } from "./errors";

export interface Page<T> {
  data: T[];
  /** Opaque; pass back as `cursor` to get the next page. Null on the last page. */
  nextCursor: string | null;
}

export const encodeCursor = (values: unknown[]) => toBase64Url(new TextEncoder().encode(JSON.stringify(values)));

export function decodeCursor(cursor: string, arity: number): unknown[] {
  try {
    const values = JSON.parse(new TextDecoder().decode(fromBase64Url(cursor)));
    if (Array.isArray(values) && values.length === arity) return values;
  } catch {}
  throw new AppError("invalid_request", "cursor is not a cursor returned by this list", [{ path: "cursor", message: "invalid cursor" }]);
}

/**
 * Keyset pagination on (sort key, id): stable under concurrent inserts and O(limit) at any depth, unlike OFFSET.
 * `sortKey` must never be NULL (wrap nullable columns in coalesce).
 */
export function keyset(opts: { sortKey: SQL; id: AnyPgColumn; direction: "asc" | "desc"; cursor?: string }) {
  const dir = opts.direction === "asc" ? sql`asc` : sql`desc`;
  const orderBy = [sql`${opts.sortKey} ${dir}`, sql`${opts.id} ${dir}`];
  let where: SQL | undefined;
  if (opts.cursor) {
    const [value, id] = decodeCursor(opts.cursor, 2);
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
