import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { decodeCursor, toPage } from "../../lib/pagination";
import type { Topic } from "../../outbox/events";
import type { ServiceContext } from "../context";
import { inScope, type ScopedTable } from "./scope";

type Table = PgTable & ScopedTable & { id: PgColumn };

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).optional(),
});
export type PageQuery = z.infer<typeof PageQuery>;

/** A row of the caller's project by id, or 404 — the same answer for "absent" and "another tenant's". */
export async function findScoped<T extends Table>(ctx: ServiceContext, table: T, id: string, resource: string, extra?: SQL) {
  const rows = await ctx.db.query
    .select()
    .from(table as PgTable)
    .where(inScope(table, ctx.principal, eq(table.id, id), extra));
  const row = rows[0];
  if (!row) throw AppError.notFound(resource, id);
  return row as T["$inferSelect"];
}

/** Newest first, keyset on the time-ordered id. */
export async function listScoped<T extends Table>(ctx: ServiceContext, table: T, q: PageQuery, ...filters: (SQL | undefined)[]) {
  const cursorFilter = q.cursor ? lt(table.id, String(decodeCursor(q.cursor, 1)[0])) : undefined;
  const rows = (await ctx.db.query
    .select()
    .from(table as PgTable)
    .where(and(inScope(table, ctx.principal), ...filters, cursorFilter))
    .orderBy(desc(table.id))
    .limit(q.limit + 1)) as (T["$inferSelect"] & { id: string })[];
  return toPage(rows, q.limit, (r) => [r.id]);
}

export function requireFound<T>(row: T | undefined, resource: string, id: string): T {
  if (!row) throw AppError.notFound(resource, id);
  return row;
}

/**
 * Updates a row of the caller's project by id (absent or another tenant's: the same 404) and records `topic` with
 * the changed field names in the same transaction — one HTTP batch after the existence check.
 */
export async function updateScoped<T extends Table>(
  ctx: ServiceContext,
  table: T,
  id: string,
  resource: string,
  changes: Record<string, unknown>,
  event: { topic: Topic; idKey: string },
): Promise<T["$inferSelect"]> {
  await findScoped(ctx, table, id, resource);
  const stamp = "updatedAt" in table ? { updatedAt: new Date() } : {};
  const [rows] = await ctx.db.batch([
    ctx.db.query
      .update(table as PgTable)
      .set({ ...changes, ...stamp } as never)
      .where(inScope(table, ctx.principal, eq(table.id, id)))
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event(event.topic, { [event.idKey]: id, fields: Object.keys(changes) })),
  ] as const);
  return requireFound((rows as T["$inferSelect"][])[0], resource, id);
}

/**
 * Deletes a row of the caller's project by id (absent or another tenant's: the same 404) and records `topic`
 * in the same transaction — one HTTP batch after the existence check.
 */
export async function deleteScoped<T extends Table>(
  ctx: ServiceContext,
  table: T,
  id: string,
  resource: string,
  event: { topic: Topic; idKey: string },
) {
  await findScoped(ctx, table, id, resource);
  await ctx.db.batch([
    ctx.db.query.delete(table as PgTable).where(inScope(table, ctx.principal, eq(table.id, id))),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event(event.topic, { [event.idKey]: id })),
  ]);
}
