import { and, eq, getTableColumns, type SQL, type SQLWrapper, sql } from "drizzle-orm";
import type { PgColumn, PgTable } from "drizzle-orm/pg-core";
import type { RunnableQuery } from "drizzle-orm/runnable-query";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { keyset, toPage } from "../../lib/pagination";
import type { Topic } from "../../outbox/events";
import type { OutboxRow } from "../../outbox/writer";
import type { ServiceContext } from "../context";
import { numberInput } from "../shared/schemas";
import { inScope, type ScopedTable } from "./scope";

type Table = PgTable & ScopedTable & { id: PgColumn };

export const PageQuery = z.object({
  limit: numberInput(z.number().int().min(1).max(100)).default(50),
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
  const page = keyset({ id: table.id, direction: "desc", cursor: q.cursor });
  const rows = (await ctx.db.query
    .select()
    .from(table as PgTable)
    .where(and(inScope(table, ctx.principal), ...filters, page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1)) as (T["$inferSelect"] & { id: string })[];
  return toPage(rows, q.limit, (r) => [r.id]);
}

export function requireFound<T>(row: T | undefined, resource: string, id: string): T {
  if (!row) throw AppError.notFound(resource, id);
  return row;
}

/**
 * A change of `table` and its outbox event in one statement, the event written only if the change touched a row:
 * `with changed as (<change> returning *), event as (insert into outbox … where exists (select from changed))
 * select * from changed`. An update racing a delete, or the second of two deletes, changes nothing and so records
 * nothing. `change` is an update or delete of `table` before `.returning()`; await the result or put it in a batch:
 * it yields the changed rows, mapped like a select of the table. A caller that got no row must not report success
 * (it throws, typically 404): the event it built was not written, and only an unconfirmed event is checked against
 * the database before it is published.
 */
export function changeWithEvent<T extends PgTable>(
  ctx: ServiceContext,
  table: T,
  change: { returning(): SQLWrapper },
  event: OutboxRow,
): RunnableQuery<T["$inferSelect"][], "pg"> & PromiseLike<T["$inferSelect"][]> {
  const db = ctx.db.query;
  const o = schema.outbox;
  const changed = db.$with("changed", getTableColumns(table)).as(change.returning().getSQL());
  const columns = sql.join(
    [o.id, o.tenantId, o.projectId, o.topic, o.payload].map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const written = db.$with("event", {}).as(
    sql`insert into ${o} (${columns}) select ${event.id}::uuid, ${event.tenantId ?? null}::uuid, ${event.projectId ?? null}::uuid,
      ${event.topic}, ${JSON.stringify(event.payload)}::jsonb where exists (select from ${changed})`,
  );
  // Typed by hand: drizzle cannot tell a CTE over a generic table has a returning clause.
  return db
    .with(changed, written)
    .select()
    .from(changed as never) as unknown as RunnableQuery<T["$inferSelect"][], "pg"> & PromiseLike<T["$inferSelect"][]>;
}

/**
 * Updates a row of the caller's project by id (absent or another tenant's: the same 404) and records `topic` with
 * the changed field names only if a row changed — one statement.
 */
export async function updateScoped<T extends Table>(
  ctx: ServiceContext,
  table: T,
  id: string,
  resource: string,
  changes: Record<string, unknown>,
  event: { topic: Topic; idKey: string },
): Promise<T["$inferSelect"]> {
  const stamp = "updatedAt" in table ? { updatedAt: new Date() } : {};
  const [row] = await changeWithEvent(
    ctx,
    table,
    ctx.db.query
      .update(table as PgTable)
      .set({ ...changes, ...stamp } as never)
      .where(inScope(table, ctx.principal, eq(table.id, id))),
    ctx.outbox.event(event.topic, { [event.idKey]: id, fields: Object.keys(changes) }),
  );
  return requireFound(row as T["$inferSelect"] | undefined, resource, id);
}

/**
 * Deletes a row of the caller's project by id (absent, another tenant's or already deleted: the same 404) and
 * records `topic` only if this call deleted it — one statement.
 */
export async function deleteScoped<T extends Table>(
  ctx: ServiceContext,
  table: T,
  id: string,
  resource: string,
  event: { topic: Topic; idKey: string },
) {
  const [row] = await changeWithEvent(
    ctx,
    table,
    ctx.db.query.delete(table as PgTable).where(inScope(table, ctx.principal, eq(table.id, id))),
    ctx.outbox.event(event.topic, { [event.idKey]: id }),
  );
  requireFound(row, resource, id);
}
