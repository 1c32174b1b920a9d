/**
 * `npm run bench` — performance of the real stack: wrangler dev (workerd) → Neon driver → local proxies → Postgres.
 * Prints tables of p50/p95/p99, throughput and database round trips per request (counted at the proxy).
 * Set LOCAL_POSTGRES_URL to measure against a real PostgreSQL instead of PGlite. `npm run bench -- contacts` runs one suite.
 */
import { randomBytes } from "node:crypto";
import { createLogger } from "../../src/lib/logger";
import { createApiKey } from "../../src/services/api-keys/create";
import { createServiceContext } from "../../src/services/context";
import { provisionTenant } from "../../src/services/tenants/provision";
import { type LocalDatabase, startLocalDatabase } from "../local-db";
import { nodeDatabase } from "../local-db/node-driver";
import { type LocalWorker, startLocalWorker } from "../local-worker";
import { benchContacts } from "./contacts";
import { benchMcp } from "./mcp";
import { benchWebhooks } from "./webhooks";

export interface BenchEnv {
  db: LocalDatabase;
  worker: LocalWorker;
  apiKey: string;
  tenant: { tenantId: string; projectId: string; userId: string };
  neighbour: { tenantId: string; projectId: string; userId: string };
}

const suites: Record<string, (env: BenchEnv) => Promise<unknown>> = { contacts: benchContacts, webhooks: benchWebhooks, mcp: benchMcp };
const selected = process.argv.slice(2).filter((a) => suites[a]);

const db = await startLocalDatabase({ freshDatabase: true });
const database = nodeDatabase(db.workerVars);
const provision = async (slug: string) => {
  const p = await provisionTenant(database, {
    tenant: { name: slug, slug: `${slug}-${randomBytes(3).toString("hex")}` },
    project: { name: "Main", slug: "main" },
    admin: { email: `${slug}-${randomBytes(3).toString("hex")}@bench.test`, name: "Bench", password: randomBytes(12).toString("hex") },
  });
  return { tenantId: p.tenant.id, projectId: p.project.id, userId: p.user.id };
};
const tenant = await provision("bench");
const neighbour = await provision("neighbour");
const ctx = createServiceContext(
  database,
  { tenantId: tenant.tenantId, projectId: tenant.projectId, role: "admin", actor: { type: "user", id: tenant.userId } },
  createLogger({ bench: true }, "warn"),
);
const apiKey = (await createApiKey(ctx, { name: "bench", role: "admin" })).key;
await database.close();

const port = Number(process.env.BENCH_PORT ?? 8795);
const worker = await startLocalWorker({
  port,
  stdio: "ignore",
  secrets: { DATABASE_URL: db.workerVars.DATABASE_URL, JWT_SECRET: randomBytes(32).toString("hex") },
  vars: {
    NEON_WS_PROXY: db.workerVars.NEON_WS_PROXY,
    NEON_HTTP_ENDPOINT: db.workerVars.NEON_HTTP_ENDPOINT,
    ENVIRONMENT: "development",
    LOG_LEVEL: "warn",
    // The bench measures the stack, not the limiter's refusals.
    RATE_LIMITS: JSON.stringify({ free: { key: 1_000_000, tenant: 1_000_000 } }),
  },
});

try {
  for (const [name, run] of Object.entries(suites)) {
    if (selected.length && !selected.includes(name)) continue;
    await run({ db, worker, apiKey, tenant, neighbour });
  }
} finally {
  await worker.stop();
  await db.stop();
}
