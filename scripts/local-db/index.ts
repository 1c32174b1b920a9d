import pg from "pg";
import { applyMigrations } from "./migrate";
import { type NeonProxy, startNeonProxy } from "./neon-proxy";
import { startPglite } from "./pglite";

export interface LocalDatabase {
  /** Plain Postgres URL (TCP) — for migrations, seeding and psql. */
  postgresUrl: string;
  proxy: NeonProxy;
  /** The bindings that point the Worker's Neon driver at the local proxies. */
  workerVars: { DATABASE_URL: string; NEON_WS_PROXY: string; NEON_HTTP_ENDPOINT: string };
  backend: "pglite" | "postgres";
  stop(): Promise<void>;
}

export interface LocalDatabaseOptions {
  /** PGlite data folder; omitted → in-memory. Ignored when a real PostgreSQL is configured. */
  dataDir?: string;
  /** A real PostgreSQL server; `LOCAL_POSTGRES_URL` by default. */
  postgresUrl?: string;
  /** Create a fresh, uniquely named database on the real server (tests), dropped on stop. */
  freshDatabase?: boolean;
  proxyPort?: number;
  migrate?: boolean;
}

export async function startLocalDatabase(opts: LocalDatabaseOptions = {}): Promise<LocalDatabase> {
  const realUrl = opts.postgresUrl ?? process.env.LOCAL_POSTGRES_URL;
  let postgresUrl: string;
  let stopBackend: () => Promise<void>;
  if (realUrl) {
    const fresh = opts.freshDatabase ? await createFreshDatabase(realUrl) : undefined;
    postgresUrl = fresh?.url ?? realUrl;
    stopBackend = fresh?.drop ?? (async () => {});
  } else {
    const embedded = await startPglite({ dataDir: opts.dataDir });
    postgresUrl = embedded.url;
    stopBackend = embedded.stop;
  }
  if (opts.migrate !== false) await applyMigrations(postgresUrl);
  const proxy = await startNeonProxy({ port: opts.proxyPort, serialize: !realUrl });
  const base = `127.0.0.1:${proxy.port}`;
  return {
    postgresUrl,
    proxy,
    backend: realUrl ? "postgres" : "pglite",
    workerVars: {
      DATABASE_URL: postgresUrl,
      NEON_WS_PROXY: `${base}/v2`,
      NEON_HTTP_ENDPOINT: `http://${base}/sql`,
    },
    async stop() {
      await proxy.close();
      await stopBackend();
    },
  };
}

async function createFreshDatabase(adminUrl: string) {
  const name = `ventros_test_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      // BENCH_KEEP_DATABASE keeps a seeded database for inspection (EXPLAIN by hand) after a bench run.
      if (process.env.BENCH_KEEP_DATABASE) return console.error(`[local db] kept database ${name}`);
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await c.end();
    },
  };
}
