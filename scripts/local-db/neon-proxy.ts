/**
 * Local stand-ins for Neon's two proxies, so the production driver (`@neondatabase/serverless`) runs unchanged
 * against a local Postgres:
 *   - `GET /v2?address=host:port` (WebSocket): a byte pipe to Postgres over TCP, used by Pool/Client.
 *   - `POST /sql`: Neon's HTTP query protocol (single queries and batched transactions), used by `neon()`.
 * Both count the database round trips they serve (`GET /__stats`), which is what the benchmarks report.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import net from "node:net";
import type { AddressInfo } from "node:net";
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

export interface NeonProxy {
  port: number;
  stats(): ProxyStats;
  reset(): void;
  close(): Promise<void>;
}

const emptyStats = () => ({ httpRequests: 0, httpQueries: 0, wsConnections: 0, wsRoundTrips: 0 });

export async function startNeonProxy(opts: { port?: number; host?: string } = {}): Promise<NeonProxy> {
  let counters = emptyStats();
  const pools = new Map<string, pg.Pool>();
  const sockets = new Set<net.Socket>();

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
    if (req.method === "OPTIONS") return send(res, 204, null);
    if (req.method !== "POST" || url.pathname !== "/sql") return send(res, 404, { message: "not found" });

    const connectionString = header(req, "neon-connection-string");
    if (!connectionString) return send(res, 400, { message: "missing Neon-Connection-String header" });
    const target = new URL(connectionString);
    if (!ALLOWED_HOSTS.has(target.hostname)) return send(res, 403, { message: "only local databases are served" });

    const body = JSON.parse((await readBody(req)) || "{}");
    const arrayMode = header(req, "neon-array-mode") === "true";
    counters.httpRequests++;
    const client = await poolFor(localConnectionString(target)).connect();
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
    }
  }

  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const [host, portText] = splitAddress(url.searchParams.get("address") ?? "");
    if (url.pathname !== "/v2" || !host || !ALLOWED_HOSTS.has(host)) {
      socket.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      counters.wsConnections++;
      const tcp = net.connect({ host, port: Number(portText) });
      sockets.add(tcp);
      tcp.setNoDelay(true);
      const pending: Buffer[] = [];
      let connected = false;
      const counter = new FrontendMessageCounter(
        () => counters.wsRoundTrips++,
        // PGlite's socket server ignores Terminate; closing our side is what frees the connection.
        () => setTimeout(() => tcp.end(), 0),
      );
      tcp.on("connect", () => {
        connected = true;
        for (const chunk of pending) tcp.write(chunk);
        pending.length = 0;
      });
      tcp.on("data", (data) => ws.readyState === ws.OPEN && ws.send(data));
      tcp.on("close", () => {
        sockets.delete(tcp);
        ws.close();
      });
      tcp.on("error", () => ws.close());
      ws.on("message", (data: Buffer) => {
        counter.push(data);
        if (connected) tcp.write(data);
        else pending.push(data);
      });
      ws.on("close", () => tcp.end());
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
    stats,
    reset: () => void (counters = emptyStats()),
    async close() {
      for (const client of wss.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await Promise.all([...pools.values()].map((p) => p.end().catch(() => {})));
    },
  };
}

/** Walks the frontend side of the Postgres wire protocol to count round trips and spot Terminate. */
class FrontendMessageCounter {
  private buffer: Buffer = Buffer.alloc(0);
  private startupDone = false;
  constructor(
    private readonly onRoundTrip: () => void,
    private readonly onTerminate: () => void,
  ) {}

  push(data: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    for (;;) {
      if (!this.startupDone) {
        if (this.buffer.length < 8) return;
        const length = this.buffer.readInt32BE(0);
        if (this.buffer.length < length) return;
        const code = this.buffer.readInt32BE(4);
        // SSLRequest / GSSENCRequest are followed by another startup packet; the real startup ends this phase.
        if (code !== 80877103 && code !== 80877104) this.startupDone = true;
        this.buffer = this.buffer.subarray(length);
        continue;
      }
      if (this.buffer.length < 5) return;
      const type = String.fromCharCode(this.buffer[0]!);
      const length = this.buffer.readInt32BE(1);
      if (this.buffer.length < 1 + length) return;
      if (type === "S" || type === "Q") this.onRoundTrip();
      if (type === "X") this.onTerminate();
      this.buffer = this.buffer.subarray(1 + length);
    }
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
    "message", "severity", "code", "detail", "hint", "position", "internalPosition", "internalQuery", "where",
    "schema", "table", "column", "dataType", "constraint", "file", "line", "routine",
  ];
  return Object.fromEntries(fields.filter((f) => e?.[f] !== undefined).map((f) => [f, e[f]]));
}

function isolationSql(level: string | undefined) {
  switch (level) {
    case "Serializable": return " ISOLATION LEVEL SERIALIZABLE";
    case "RepeatableRead": return " ISOLATION LEVEL REPEATABLE READ";
    case "ReadUncommitted": return " ISOLATION LEVEL READ UNCOMMITTED";
    case "ReadCommitted": return " ISOLATION LEVEL READ COMMITTED";
    default: return "";
  }
}

/** The driver sends the production connection string; we only keep what a local server understands. */
function localConnectionString(target: URL) {
  const url = new URL(target.toString());
  url.search = "";
  return url.toString();
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
