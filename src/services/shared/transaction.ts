import type { Database, Executor, Transaction } from "../../db";
import type { ServiceContext } from "../context";

/**
 * Runs `fn` with a context whose database is one interactive transaction: every service it calls — `db.query`,
 * `db.batch`, nested `db.transaction` and nested `withTransaction` — joins it, so a composite verb commits once or
 * not at all. Outside a transaction this opens one (WebSocket pool); inside one it just continues it.
 */
export async function withTransaction<T>(ctx: ServiceContext, fn: (tx: ServiceContext) => Promise<T>): Promise<T> {
  if (ctx.db.inTransaction) return fn(ctx);
  return ctx.db.transaction((tx) => fn({ ...ctx, db: joinTransaction(ctx.db, tx) }));
}

/** A database handle on which everything runs inside `tx` (exported for tests that wrap verbs in their own transaction). */
export function joinTransaction(outer: Database, tx: Transaction): Database {
  return {
    query: tx as unknown as Executor,
    // Statements of a batch were built on `query`, i.e. on this transaction: running them in order keeps the
    // batch's all-or-nothing meaning, and the results have the shape a batch returns.
    batch: (async (queries: readonly PromiseLike<unknown>[]) => {
      const results: unknown[] = [];
      for (const q of queries) results.push(await q);
      return results;
    }) as unknown as Database["batch"],
    transaction: (inner) => inner(tx),
    inTransaction: true,
    get usedPool() {
      return true;
    },
    get roundTrips() {
      return outer.roundTrips;
    },
    close: () => outer.close(),
  };
}
