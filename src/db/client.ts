import { Client, neon, neonConfig, Pool } from "@neondatabase/serverless";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import { drizzle as drizzleHttp, type NeonHttpDatabase } from "drizzle-orm/neon-http";
import { drizzle as drizzleWs } from "drizzle-orm/neon-serverless";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";
import { AppError, isAppError } from "../lib/errors";
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
  /**
   * Upper bound, in milliseconds, of every database call: an HTTP query or batch, opening a WebSocket connection,
   * each statement of a transaction. Default {@link DEFAULT_DATABASE_TIMEOUT_MS}.
   */
  timeoutMs?: number;
}

export const DEFAULT_DATABASE_TIMEOUT_MS = 10_000;
/** What a 503 caused by the database suggests to the client (`Retry-After`). */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

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
  const timeoutMs = config.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
  installFetch();
  let roundTrips = 0;
  // Per-handle settings travel with each query as fetch options (see installFetch): two handles with different
  // endpoints or timeouts never see each other's, whatever else runs in the isolate meanwhile.
  const sqlClient = neon(config.url, {
    fetchOptions: { [TIMEOUT]: timeoutMs, ...(config.httpEndpoint ? { [ENDPOINT]: config.httpEndpoint } : {}) },
  });
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
          return then(undefined, (err: unknown) => {
            throw unavailableOr(err, timeoutMs);
          }).then(onFulfilled, onRejected);
        }) as typeof pending.then,
      });
    }) as typeof query,
    transaction: ((...args: Parameters<typeof transaction>) => {
      roundTrips++;
      return transaction(...args).catch((err: unknown) => {
        throw unavailableOr(err, timeoutMs);
      });
    }) as typeof transaction,
  });
  const http = drizzleHttp({ client: counted, schema });
  let pool: Pool | undefined;
  const getPool = () => {
    if (!pool) {
      // pg's own timeouts: connectionTimeoutMillis bounds opening a connection (WebSocket + startup), and
      // query_timeout each statement; a connection whose statement timed out is discarded, not reused.
      const p = new Pool({ connectionString: config.url, max: 2, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
      if (config.wsProxy) p.Client = proxiedClient(config.wsProxy);
      // An idle client erroring must not crash the isolate; the failing query reports its own error.
      p.on("error", () => {});
      // Connections whose statement failed for transport reasons (a timeout): released with an error, i.e. closed.
      const broken = new WeakSet<object>();
      p.on("connect", (client: PoolClientInternals) => {
        roundTrips++;
        const query = client.query.bind(client);
        client.query = (...a: unknown[]) => {
          roundTrips++;
          const result = query(...a);
          if (!isPromise(result)) return result;
          return result.catch((err: unknown) => {
            const mapped = unavailableOr(err, timeoutMs);
            if (mapped !== err) broken.add(client);
            throw mapped;
          });
        };
      });
      const connect = p.connect.bind(p) as () => Promise<PoolClientInternals>;
      // Backstop over pg's own connection timeout: whatever the transport does, the caller gets an answer.
      p.connect = (() =>
        withDeadline(connect(), timeoutMs + 1_000).then(
          (client) => {
            // pg-pool sets `release` on every checkout, after the connect event: wrapped here, per checkout.
            const release = client.release.bind(client);
            client.release = (err?: unknown) => release(err ?? broken.has(client));
            return client;
          },
          (err: unknown) => {
            throw unavailableOr(err, timeoutMs, { connecting: true });
          },
        )) as Pool["connect"];
      pool = p;
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
      // A hung database must not keep the request's waitUntil alive: closing is bounded like every other call.
      await withDeadline(p?.end() ?? Promise.resolve(), timeoutMs).catch(() => {});
    },
  };
}

interface PoolClientInternals {
  query: (...a: unknown[]) => unknown;
  release: (err?: unknown) => void;
}

const isPromise = (value: unknown): value is Promise<unknown> => typeof (value as Promise<unknown>)?.then === "function";

const ENDPOINT = Symbol.for("ventros.db.httpEndpoint");
const TIMEOUT = Symbol.for("ventros.db.timeoutMs");
let fetchInstalled = false;

/**
 * The driver's HTTP queries go through one fetch function (a process-global setting), installed once: it reads the
 * handle's endpoint and timeout from the fetch options the handle passed along, and aborts the request — response
 * and body — when the timeout passes.
 */
function installFetch() {
  if (fetchInstalled) return;
  fetchInstalled = true;
  const underlying: typeof fetch = neonConfig.fetchFunction ?? ((input, init) => fetch(input, init));
  neonConfig.fetchFunction = (url: string, init: RequestInit & { [ENDPOINT]?: string; [TIMEOUT]?: number }) => {
    const { [ENDPOINT]: endpoint, [TIMEOUT]: timeoutMs, ...rest } = init;
    return underlying(endpoint ?? url, timeoutMs ? { ...rest, signal: AbortSignal.timeout(timeoutMs) } : rest);
  };
}

/** A Client class that reaches Postgres through the given WebSocket proxy (a per-connection setting, not a global). */
function proxiedClient(proxy: string): typeof Client {
  return class ProxiedClient extends Client {
    constructor(...args: ConstructorParameters<typeof Client>) {
      super(...args);
      const c = this.neonConfig;
      c.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
      c.useSecureWebSocket = false;
      c.pipelineTLS = false;
      c.pipelineConnect = false;
    }
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DatabaseTimeout(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

class DatabaseTimeout extends Error {
  override name = "TimeoutError";
}

// SQLSTATEs that say the database (not the statement) failed: connection exceptions (08), operator intervention
// (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), too many connections, and a statement
// cancelled by a timeout (57014).
const UNAVAILABLE_SQLSTATE = /^(08...|57P0[123]|53300|57014)$/;
const SQLSTATE = /^[0-9A-Z]{5}$/;
const TRANSPORT_MESSAGE = new RegExp(
  [
    "timeout|timed out|connection terminated|not queryable|websocket|network|socket",
    "ECONN|EPIPE|fetch failed|Server error \\(HTTP status 5\\d\\d\\)",
  ].join("|"),
  "i",
);

/**
 * The database as a dependency that can fail: connection failures and timeouts become `AppError("unavailable")`
 * (503 with Retry-After) — never the SQL, never the driver's message. Anything else (a constraint, a syntax error)
 * is the statement's own failure and passes through unchanged.
 */
export function databaseUnavailable(err: unknown, timeoutMs = DEFAULT_DATABASE_TIMEOUT_MS): AppError | undefined {
  if (isAppError(err)) return err.code === "unavailable" ? err : undefined;
  // Already translated below the ORM, which wrapped it in its own error (the SQL text and parameters).
  const cause = (err as { cause?: unknown } | undefined)?.cause;
  if (isAppError(cause)) return cause.code === "unavailable" ? cause : undefined;
  const e = err as { code?: unknown; message?: unknown; name?: unknown; sourceError?: { name?: unknown } } | undefined;
  if (!e || typeof e !== "object") return undefined;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code && SQLSTATE.test(code) && !UNAVAILABLE_SQLSTATE.test(code)) return undefined;
  const name = String(e.sourceError?.name ?? e.name ?? "");
  const timedOut = name === "TimeoutError" || /timeout|timed out/i.test(String(e.message ?? ""));
  const failed =
    timedOut ||
    (code !== undefined && UNAVAILABLE_SQLSTATE.test(code)) ||
    (code !== undefined && !SQLSTATE.test(code)) || // Node network errors: ECONNREFUSED, ECONNRESET, …
    e.sourceError !== undefined || // the HTTP driver could not reach its endpoint
    TRANSPORT_MESSAGE.test(String(e.message ?? ""));
  if (!failed) return undefined;
  return timedOut ? databaseTimedOut(err, timeoutMs) : databaseUnreachable(err);
}

export type UnavailableReason = "timeout" | "unreachable";

const databaseTimedOut = (cause: unknown, timeoutMs: number) =>
  new AppError(
    "unavailable",
    `The database did not answer within ${timeoutMs} ms; retry shortly`,
    { reason: "timeout" satisfies UnavailableReason, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    { cause },
  );

const databaseUnreachable = (cause: unknown) =>
  new AppError(
    "unavailable",
    "The database is unreachable; retry shortly",
    { reason: "unreachable" satisfies UnavailableReason, retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS },
    { cause },
  );

function unavailableOr(err: unknown, timeoutMs: number, opts: { connecting?: boolean } = {}): unknown {
  const mapped = databaseUnavailable(err, timeoutMs);
  if (mapped) return mapped;
  // Failing to open a connection is the database failing, whatever the message — unless Postgres itself refused
  // (wrong password, missing database): that is configuration, and stays an internal error.
  const code = (err as { code?: unknown })?.code;
  if (opts.connecting && !(typeof code === "string" && SQLSTATE.test(code))) return databaseUnreachable(err);
  return err;
}
