/**
 * Local stand-ins for Neon's two proxies, so the production driver (`@neondatabase/serverless`) runs unchanged
 * against a local Postgres:
 *   - `GET /v2?address=host:port` (WebSocket): a byte pipe to Postgres over TCP, used by Pool/Client.
 *   - `POST /sql`: Neon's HTTP query protocol (single queries and batched transactions), used by `neon()`.
 * Both count the database round trips they serve (`GET /__stats`), which is what the benchmarks report.
 *
 * Fault injection, for resilience tests: the same endpoints are also served under `/s/<scope>/…` (e.g.
 * `/s/t1/sql`, `/s/t1/v2`), and `POST /__fault {"scope": "t1", "mode": "down" | "hang" | "ok"}` changes how that
 * scope answers — `down` drops every connection at once (as a refused or reset connection), `hang` accepts and
 * never answers, `ok` serves again (and drops whatever the fault left hanging). Scopes keep a test's faults away
 * from every other caller; the unscoped endpoints are the scope `""`. `GET /__fault` lists the current modes.
 * `POST /__fault {"scope": "t1", "failQuery": {"match": "\"channels\"", "times": 1}}` fails just the next HTTP
 * query (or batch) of that scope whose SQL contains `match` — one failed query in the middle of a unit of work —
 * with a Postgres error whose text quotes the SQL, as the driver would report it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import net from "node:net";
import pg from "pg";
import type { WebSocket, WebSocketServer as WebSocketServerType } from "ws";

// vitest's globalSetup resolves `ws` to its browser build; require() gets the Node one.
const { WebSocketServer } = createRequire(import.meta.url)("ws") as { WebSocketServer: typeof WebSocketServerType };

const ALLOWED_HOSTS = new Set(["127.0.0.1", "localhost", "::1"]);

export interface ProxyStats {
  /** HTTP `/sql` requests: each one is exactly one round trip (a batch too). */
  httpRequests: number;
  httpQueries: number;
  /** WebSocket connections opened: each costs the connection handshake round trips. */
  wsConnections: number;
  /** Sync/Query messages seen on WebSocket connections: each one waits for the server, so one round trip. */
  wsRoundTrips: number;
  /** httpRequests + wsRoundTrips + wsConnections. */
  roundTrips: number;
}

export type FaultMode = "ok" | "down" | "hang";
const FAULT_MODES = new Set<FaultMode>(["ok", "down", "hang"]);

export interface NeonProxy {
  port: number;
  /** Sets a scope's fault mode (the same as `POST /__fault`). */
  fault(scope: string, mode: FaultMode): void;
  stats(): ProxyStats;
  reset(): void;
  close(): Promise<void>;
}

/** NEON_PROXY_TRACE=1: every HTTP query (batch) with its duration and wall-clock time on stderr, to see a flow's round trips. */
const trace = process.env.NEON_PROXY_TRACE ? (line: string) => process.stderr.write(`[sql ${Date.now() % 100000}] ${line}\n`) : undefined;

const emptyStats = () => ({ httpRequests: 0, httpQueries: 0, wsConnections: 0, wsRoundTrips: 0 });

export async function startNeonProxy(opts: { port?: number; host?: string; serialize?: boolean } = {}): Promise<NeonProxy> {
  let counters = emptyStats();
  // PGlite runs every connection in ONE backend session: interleaved extended-protocol messages from two clients
  // corrupt each other ("portal does not exist"), and a failed transaction poisons the others. With `serialize`,
  // one client at a time holds the database from its first message until Postgres reports it idle again.
  const gate = opts.serialize ? new Mutex() : undefined;
  const pools = new Map<string, pg.Pool>();
  const sockets = new Set<net.Socket>();
  const faults = new Map<string, FaultMode>();
  const failQueries = new Map<string, { match: string; times: number }>();
  /** What a fault left open (held HTTP requests, frozen WebSockets), per scope; closed when the scope recovers. */
  const stranded = new Map<string, Set<() => void>>();
  const modeOf = (scope: string): FaultMode => faults.get(scope) ?? "ok";
  const strand = (scope: string, drop: () => void) => {
    const set = stranded.get(scope) ?? new Set();
    stranded.set(scope, set);
    set.add(drop);
    return () => set.delete(drop);
  };
  const setFault = (scope: string, mode: FaultMode) => {
    const previous = modeOf(scope);
    if (mode === "ok") faults.delete(scope);
    else faults.set(scope, mode);
    // Leaving a fault (or going from hang to down): what hung is dropped, as a real outage would end it.
    if (mode !== previous && mode !== "hang") {
      for (const drop of stranded.get(scope) ?? []) drop();
      stranded.delete(scope);
    }
  };

  const poolFor = (connectionString: string) => {
    let pool = pools.get(connectionString);
    if (!pool) {
      pool = new pg.Pool({ connectionString, max: 10, ssl: false });
      pool.on("error", () => {});
      pools.set(connectionString, pool);
    }
    return pool;
  };

  const server = createServer((req, res) => {
    handleHttp(req, res).catch((err) => {
      if (!res.headersSent) send(res, 500, { message: String(err?.message ?? err) });
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/__stats") return send(res, 200, stats());
    if (req.method === "POST" && url.pathname === "/__stats/reset") {
      counters = emptyStats();
      return send(res, 200, stats());
    }
    if (url.pathname === "/__fault") {
      if (req.method === "GET") return send(res, 200, Object.fromEntries(faults));
      if (req.method !== "POST") return send(res, 405, { message: "GET or POST" });
      const body = JSON.parse((await readBody(req)) || "{}") as { scope?: unknown; mode?: unknown; failQuery?: any };
      const scope = typeof body.scope === "string" ? body.scope : "";
      if (body.failQuery && typeof body.failQuery.match === "string") {
        failQueries.set(scope, { match: body.failQuery.match, times: Number(body.failQuery.times ?? 1) });
        return send(res, 200, { scope, failQuery: failQueries.get(scope) });
      }
      if (!FAULT_MODES.has(body.mode as FaultMode)) return send(res, 400, { message: 'mode must be "ok", "down" or "hang"' });
      setFault(scope, body.mode as FaultMode);
      return send(res, 200, { scope, mode: modeOf(scope) });
    }
    if (req.method === "OPTIONS") return send(res, 204, null);
    const route = scoped(url.pathname);
    if (req.method !== "POST" || route?.endpoint !== "sql") return send(res, 404, { message: "not found" });
    const mode = modeOf(route.scope);
    if (mode === "down") {
      req.socket.destroy();
      return;
    }
    if (mode === "hang") {
      // Never answered: the client's own timeout is what ends it (or the scope recovering, which drops it).
      const release = strand(route.scope, () => req.socket.destroy());
      req.socket.once("close", release);
      return;
    }

    const connectionString = header(req, "neon-connection-string");
    if (!connectionString) return send(res, 400, { message: "missing Neon-Connection-String header" });
    const target = new URL(connectionString);
    if (!ALLOWED_HOSTS.has(target.hostname)) return send(res, 403, { message: "only local databases are served" });

    const body = JSON.parse((await readBody(req)) || "{}");
    const arrayMode = header(req, "neon-array-mode") === "true";
    const injected = failQueries.get(route.scope);
    const texts: string[] = (Array.isArray(body.queries) ? body.queries : [body]).map((q: { query?: string }) => String(q?.query ?? ""));
    const hit = injected && texts.find((q) => q.includes(injected.match));
    if (injected && hit) {
      if (--injected.times <= 0) failQueries.delete(route.scope);
      return send(res, 400, { message: `injected failure in: ${hit}`, code: "XX000", severity: "ERROR" });
    }
    counters.httpRequests++;
    const traceStart = trace ? performance.now() : 0;
    if (trace)
      res.once("finish", () =>
        trace(`${(performance.now() - traceStart).toFixed(1)}ms ${texts.map((q) => q.replace(/\s+/g, " ").slice(0, 110)).join(" ; ")}`),
      );
    const unlock = gate ? await gate.acquire() : undefined;
    let client: pg.PoolClient;
    try {
      client = await poolFor(localConnectionString(target)).connect();
    } catch (err) {
      unlock?.();
      throw err;
    }
    try {
      if (Array.isArray(body.queries)) {
        counters.httpQueries += body.queries.length;
        const isolation = isolationSql(header(req, "neon-batch-isolation-level"));
        const readOnly = header(req, "neon-batch-read-only") === "true" ? " READ ONLY" : "";
        const deferrable = header(req, "neon-batch-deferrable") === "true" ? " DEFERRABLE" : "";
        await client.query(`BEGIN${isolation}${readOnly}${deferrable}`);
        try {
          const results = [];
          for (const q of body.queries) results.push(await runQuery(client, q, arrayMode));
          await client.query("COMMIT");
          return send(res, 200, { results });
        } catch (err) {
          await client.query("ROLLBACK").catch(() => {});
          throw err;
        }
      }
      counters.httpQueries++;
      return send(res, 200, await runQuery(client, body, arrayMode));
    } catch (err) {
      return send(res, 400, postgresError(err));
    } finally {
      client.release();
      unlock?.();
    }
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [host, portText] = splitAddress(url.searchParams.get("address") ?? "");
    const route = scoped(url.pathname);
    if (route?.endpoint !== "v2" || !host || !ALLOWED_HOSTS.has(host)) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const { scope } = route;
    if (modeOf(scope) === "down") {
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      if (modeOf(scope) === "hang") {
        // Accepted, then silence: no Postgres behind it, nothing ever answered.
        const release = strand(scope, () => ws.terminate());
        ws.on("close", release);
        return;
      }
      counters.wsConnections++;
      const tcp = net.connect({ host, port: Number(portText) });
      sockets.add(tcp);
      tcp.setNoDelay(true);
      const connected = new Promise<void>((resolve) => tcp.once("connect", () => resolve()));
      let unlock: (() => void) | undefined;
      let awaiting = 0; // requests written whose ReadyForQuery has not come back yet
      let chain = Promise.resolve();
      const releaseGate = () => {
        unlock?.();
        unlock = undefined;
      };
      const frontend = new FrontendMessageCounter(
        () => counters.wsRoundTrips++,
        // PGlite's socket server ignores Terminate; closing our side is what frees the connection.
        () => setTimeout(() => tcp.end(), 0),
      );
      const backend = new BackendReadyWatcher((status) => {
        awaiting = Math.max(0, awaiting - 1);
        if (awaiting === 0 && status === "I") releaseGate();
      });
      // A fault arriving while this connection is open: `down` drops it, `hang` freezes it (nothing passes
      // either way) until the scope recovers, which drops it too.
      let frozen = false;
      const faulted = () => {
        const mode = modeOf(scope);
        if (mode === "ok" || frozen) return frozen;
        if (mode === "down") {
          ws.terminate();
          tcp.destroy();
        } else {
          frozen = true;
          const release = strand(scope, () => {
            ws.terminate();
            tcp.destroy();
          });
          ws.on("close", release);
        }
        return true;
      };
      tcp.on("data", (data) => {
        if (faulted()) return;
        backend.push(data);
        if (ws.readyState === ws.OPEN) ws.send(data);
      });
      tcp.on("close", () => {
        sockets.delete(tcp);
        releaseGate();
        ws.close();
      });
      tcp.on("error", () => ws.close());
      ws.on("message", (data: Buffer) => {
        if (faulted()) return;
        const requests = frontend.push(data);
        if (trace && requests)
          trace(
            `ws ${requests} request(s) ${data
              .toString("latin1")
              .replace(/[^ -~]+/g, " ")
              .slice(0, 110)}`,
          );
        if (frontend.sslRequested) backend.expectSslAnswer();
        chain = chain.then(async () => {
          await connected;
          if (gate && !unlock) unlock = await gate.acquire();
          awaiting += requests;
          tcp.write(data);
        });
      });
      ws.on("close", () => {
        chain = chain.then(() => {
          tcp.end();
          releaseGate();
        });
      });
      ws.on("error", () => tcp.destroy());
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", resolve);
  });

  function stats(): ProxyStats {
    return { ...counters, roundTrips: counters.httpRequests + counters.wsRoundTrips + counters.wsConnections };
  }

  return {
    port: (server.address() as AddressInfo).port,
    fault: setFault,
    stats,
    reset: () => {
      counters = emptyStats();
    },
    async close() {
      for (const scope of [...stranded.keys()]) setFault(scope, "ok");
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
    },
  };
}

/**
 * Walks the frontend side of the Postgres wire protocol: counts round trips, spots Terminate, and reports how many
 * requests in a chunk will each be answered by a ReadyForQuery (the startup packet, every Sync and simple Query).
 */
class FrontendMessageCounter {
  private buffer: Buffer = Buffer.alloc(0);
  private startupDone = false;
  sslRequested = false;
  constructor(
    private readonly onRoundTrip: () => void,
    private readonly onTerminate: () => void,
  ) {}

  push(data: Buffer): number {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    let requests = 0;
    this.sslRequested = false;
    for (;;) {
      if (!this.startupDone) {
        if (this.buffer.length < 8) return requests;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return requests;
        const code = this.buffer.readInt32BE(4);
        // SSLRequest / GSSENCRequest are answered with one unframed byte, then the real startup packet follows.
        if (code === 80877103 || code === 80877104) this.sslRequested = true;
        else {
          this.startupDone = true;
          requests++;
        }
        this.buffer = this.buffer.subarray(length);
        continue;
      }
      if (this.buffer.length < 5) return requests;
      const type = String.fromCharCode(this.buffer[0]!);
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return requests;
      if (type === "S" || type === "Q") {
        this.onRoundTrip();
        requests++;
      }
      if (type === "X") this.onTerminate();
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}

/** Watches the backend side for ReadyForQuery ('Z') and its transaction status: I idle, T in transaction, E failed. */
class BackendReadyWatcher {
  private buffer: Buffer = Buffer.alloc(0);
  private sslAnswers = 0;
  constructor(private readonly onReady: (status: string) => void) {}

  expectSslAnswer() {
    this.sslAnswers++;
  }

  push(data: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    for (;;) {
      if (this.sslAnswers > 0) {
        if (this.buffer.length < 1) return;
        this.sslAnswers--;
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      if (type === "Z") this.onReady(String.fromCharCode(this.buffer[5]!));
      this.buffer = this.buffer.subarray(1 + length);
    }
  }
}

/** FIFO lock: `acquire()` resolves with the function that releases it. */
class Mutex {
  private tail: Promise<void> = Promise.resolve();
  acquire(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }
}

async function runQuery(client: pg.PoolClient, q: { query: string; params?: unknown[] }, arrayMode: boolean) {
  const result = await client.query({
    text: q.query,
    values: q.params ?? [],
    rowMode: arrayMode ? "array" : undefined,
    // The driver parses values itself from text, exactly as it does with Neon.
    types: { getTypeParser: () => (value: string) => value },
  } as pg.QueryConfig);
  return {
    command: result.command,
    rowCount: result.rowCount,
    rows: result.rows,
    fields: result.fields.map((f) => ({
      name: f.name,
      dataTypeID: f.dataTypeID,
      tableID: f.tableID,
      columnID: f.columnID,
      dataTypeSize: f.dataTypeSize,
      dataTypeModifier: f.dataTypeModifier,
      format: "text",
    })),
    rowAsArray: arrayMode,
  };
}

function postgresError(err: unknown) {
  const e = err as Record<string, unknown>;
  const fields = [
    "message",
    "severity",
    "code",
    "detail",
    "hint",
    "position",
    "internalPosition",
    "internalQuery",
    "where",
    "schema",
    "table",
    "column",
    "dataType",
    "constraint",
    "file",
    "line",
    "routine",
  ];
  return Object.fromEntries(fields.filter((f) => e?.[f] !== undefined).map((f) => [f, e[f]]));
}

function isolationSql(level: string | undefined) {
  switch (level) {
    case "Serializable":
      return " ISOLATION LEVEL SERIALIZABLE";
    case "RepeatableRead":
      return " ISOLATION LEVEL REPEATABLE READ";
    case "ReadUncommitted":
      return " ISOLATION LEVEL READ UNCOMMITTED";
    case "ReadCommitted":
      return " ISOLATION LEVEL READ COMMITTED";
    default:
      return "";
  }
}

/** The driver sends the production connection string; we only keep what a local server understands. */
function localConnectionString(target: URL) {
  const url = new URL(target.toString());
  url.search = "";
  return url.toString();
}

/** `/sql`, `/v2` (scope `""`) or `/s/<scope>/sql`, `/s/<scope>/v2`. */
function scoped(pathname: string): { scope: string; endpoint: "sql" | "v2" } | undefined {
  const m = pathname.match(/^(?:\/s\/([A-Za-z0-9_.-]{1,64}))?\/(sql|v2)$/);
  return m ? { scope: m[1] ?? "", endpoint: m[2] as "sql" | "v2" } : undefined;
}

function splitAddress(address: string): [string | undefined, string | undefined] {
  const i = address.lastIndexOf(":");
  return i < 0 ? [undefined, undefined] : [address.slice(0, i), address.slice(i + 1)];
}

function header(req: IncomingMessage, name: string) {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json", "access-control-allow-origin": "*" });
  res.end(body === null ? undefined : JSON.stringify(body));
}
