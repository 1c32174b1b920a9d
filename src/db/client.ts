import { neon, neonConfig, Pool } from "@neondatabase/serverless";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import * as schema from "./schema";

export type Schema = typeof schema;

export interface RowsResult<T> {
  rows: T[];
  rowCount: number | null;
}
/** What both Neon drivers return from `execute`: rows plus a count. */
export interface RowsResultHKT extends PgQueryResultHKT {
  type: RowsResult<this["row"]>;
}
/** Anything a query can be built on: the HTTP client or an open transaction. */
export type Executor = PgDatabase<RowsResultHKT, Schema>;
export type Transaction = PgTransaction<RowsResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

export interface DatabaseConfig {
  url: string;
  /** Local stand-in for Neon's WebSocket proxy, `host:port/path` (development and tests only). */
  wsProxy?: string;
  /** Local stand-in for Neon's HTTP query endpoint (development and tests only). */
  httpEndpoint?: string;
}

/**
 * Two Neon transports, each where it wins at the edge:
 *  - `db.query` / `db.batch` go over HTTP: one round trip per call and no connection setup. A batch runs in one
 *    transaction, so several writes that do not need to read in between commit atomically in one round trip.
 *  - `db.transaction(fn)` opens a WebSocket pool lazily — only when a transaction must read and decide in between.
 * Create one per request (Workers forbid sharing sockets across requests) and `close()` it in `waitUntil`.
 */
export interface Database {
  readonly query: Executor;
  batch: NeonHttpDatabase<Schema>["batch"];
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  /** True for the handle `withTransaction` gives nested services: everything on it joins one open transaction. */
  readonly inTransaction: boolean;
  /** WebSocket round trips are only opened on demand; this tells whether this request opened any. */
  readonly usedPool: boolean;
  /** Database round trips made through this handle (HTTP calls, WebSocket connects and statements). */
  readonly roundTrips: number;
  close(): Promise<void>;
}

export function createDatabase(config: DatabaseConfig): Database {
  configureNeon(config);
  let roundTrips = 0;
  const sqlClient = neon(config.url);
  const { query, transaction } = sqlClient;
  // Counted at the client so every response can report its own cost (Server-Timing) without a proxy.
  const counted = Object.assign(sqlClient, {
    // A query object is only sent when awaited; the ones a batch collects are sent inside its single request.
    query: ((...args: Parameters<typeof query>) => {
      const pending = query(...args);
      const then = pending.then.bind(pending);
      return Object.assign(pending, {
        // biome-ignore lint/suspicious/noThenProperty: wrapping the driver's own thenable, to count when it is sent
        then: ((onFulfilled, onRejected) => {
          roundTrips++;
          return then(onFulfilled, onRejected);
        }) as typeof pending.then,
      });
    }) as typeof query,
    transaction: ((...args: Parameters<typeof transaction>) => {
      roundTrips++;
      return transaction(...args);
    }) as typeof transaction,
  });
  const http = drizzleHttp({ client: counted, schema });
  let pool: Pool | undefined;
  const getPool = () => {
    if (!pool) {
      pool = new Pool({ connectionString: config.url, max: 2 });
      // An idle client erroring must not crash the isolate; the failing query reports its own error.
      pool.on("error", () => {});
      pool.on("connect", (client: { query: (...a: unknown[]) => unknown }) => {
        roundTrips++;
        const query = client.query.bind(client);
        client.query = (...a: unknown[]) => {
          roundTrips++;
          return query(...a);
        };
      });
    }
    return pool;
  };
  return {
    query: http as unknown as Executor,
    batch: http.batch.bind(http),
    async transaction(fn) {
      const ws = drizzleWs({ client: getPool(), schema });
      return ws.transaction((tx) => fn(tx as unknown as Transaction));
    },
    inTransaction: false,
    get usedPool() {
      return pool !== undefined;
    },
    get roundTrips() {
      return roundTrips;
    },
    async close() {
      const p = pool;
      pool = undefined;
      await p?.end();
    },
  };
}

/** neonConfig is process-global; the values only depend on configuration, so setting them again is harmless. */
function configureNeon(config: DatabaseConfig) {
  if (config.wsProxy) {
    const proxy = config.wsProxy;
    neonConfig.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
    neonConfig.useSecureWebSocket = false;
    neonConfig.pipelineTLS = false;
    neonConfig.pipelineConnect = false;
  }
  if (config.httpEndpoint) {
    const endpoint = config.httpEndpoint;
    neonConfig.fetchEndpoint = () => endpoint;
  }
}
