/**
 * `npm run bench` — performance of the real stack: wrangler dev (workerd) → Neon driver → local proxies → Postgres.
 * Every scenario is read against the stack's own floor (suite `floor`: the same path doing nothing, `select 1`, a
 * single-row insert), measured in the same run at the same concurrency: absolute p50/p95/p99, throughput and database
 * round trips per request (counted at the proxy), plus the ratios. Writes bench/report.json and bench/report.md
 * (BENCH_REPORT_DIR to change). Set LOCAL_POSTGRES_URL to measure against a real PostgreSQL instead of PGlite.
 * `npm run bench -- contacts` runs one suite (always after the floor); `-- floor` the floor alone.
 * `npm run bench -- memory` (hybrid memory search at 10k and 100k chunks) needs LOCAL_POSTGRES_URL: asked for on
 * PGlite it refuses to start, and a run of every suite on PGlite leaves it out.
 */

import { randomBytes } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { createLogger } from "../../src/lib/logger";
import { createApiKey } from "../../src/services/api-keys/create";
import { createServiceContext } from "../../src/services/context";
import { provisionTenant } from "../../src/services/tenants/provision";
import { startAgentService } from "../agent-service/server";
import { type LocalDatabase, startLocalDatabase } from "../local-db";
import { nodeDatabase } from "../local-db/node-driver";
import { type LocalWorker, startLocalWorker } from "../local-worker";
import { benchAgents } from "./agents";
import { benchContacts } from "./contacts";
import { benchDeliver } from "./deliver";
import { benchFloor, recheckFloor } from "./floor";
import { type SuiteReport, settle } from "./harness";
import { benchLive } from "./live";
import { benchMcp } from "./mcp";
import { benchMemory } from "./memory";
import { buildReport, printSummary, writeReport } from "./report";
import { benchWebhooks } from "./webhooks";

export interface BenchEnv {
  db: LocalDatabase;
  worker: LocalWorker;
  apiKey: string;
  /** The Worker's JWT_SECRET: suites may sign access tokens (authentication without a database round trip). */
  jwtSecret: string;
  tenant: { tenantId: string; projectId: string; userId: string };
  neighbour: { tenantId: string; projectId: string; userId: string };
}

/** In running order; the floor comes first, every other suite is read against it. */
const suites: Record<string, (env: BenchEnv) => Promise<SuiteReport>> = {
  floor: benchFloor,
  contacts: benchContacts,
  webhooks: benchWebhooks,
  mcp: benchMcp,
  live: benchLive,
  deliver: benchDeliver,
  agents: benchAgents,
  // Last: it loads 100k chunks into the database.
  memory: benchMemory,
};
/** Suites that only mean something on a real PostgreSQL. */
const POSTGRES_ONLY = new Set(["memory"]);
const args = process.argv.slice(2).filter((a) => a !== "--");
const unknown = args.filter((a) => !suites[a]);
if (unknown.length) {
  console.error(`Unknown suite ${unknown.join(", ")}; suites: ${Object.keys(suites).join(", ")}`);
  process.exit(2);
}
const onPostgres = Boolean(process.env.LOCAL_POSTGRES_URL);
const refused = args.filter((a) => POSTGRES_ONLY.has(a));
if (!onPostgres && refused.length) {
  console.error(
    `Suite ${refused.join(", ")} measures PostgreSQL (pgvector HNSW, parallel index builds); PGlite would say nothing about Neon.\n` +
      "Set LOCAL_POSTGRES_URL to a PostgreSQL with pgvector, e.g. LOCAL_POSTGRES_URL=$(.ci/provision-postgres.sh | tail -1)",
  );
  process.exit(2);
}
const selected = args.length
  ? new Set(["floor", ...args])
  : new Set(Object.keys(suites).filter((s) => onPostgres || !POSTGRES_ONLY.has(s)));
if (!args.length && !onPostgres) console.warn(`Skipping ${[...POSTGRES_ONLY].join(", ")}: PostgreSQL only (set LOCAL_POSTGRES_URL).`);
const startedAt = new Date();
const loadAverageAtStart = os.loadavg();

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
const jwtSecret = randomBytes(32).toString("hex");
// The reference agent service (suite `agents`); AI answers only in projects whose AI settings enable it.
const agentService = await startAgentService();
const worker = await startLocalWorker({
  port,
  stdio: "ignore",
  secrets: { DATABASE_URL: db.workerVars.DATABASE_URL, JWT_SECRET: jwtSecret },
  vars: {
    NEON_WS_PROXY: db.workerVars.NEON_WS_PROXY,
    NEON_HTTP_ENDPOINT: db.workerVars.NEON_HTTP_ENDPOINT,
    ENVIRONMENT: "development",
    LOG_LEVEL: "warn",
    // The deliver suite's WAHA loses answers on purpose: the send gives up on a lost answer after 1 s.
    WAHA_TIMEOUT_MS: "1000",
    // The bench measures the stack, not the limiter's refusals.
    RATE_LIMITS: JSON.stringify({ free: { key: 1_000_000, tenant: 1_000_000 } }),
    AGENT_SERVICE_URL: agentService.url,
    // The agent's MCP calls come back here.
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
  },
});

const reports: SuiteReport[] = [];
try {
  for (const [name, run] of Object.entries(suites)) {
    if (!selected.has(name)) continue;
    // The previous suite's asynchronous work (outbox publishing, queue consumers) must not run into this one.
    await settle(db.proxy);
    const t0 = performance.now();
    const result = await run({ db, worker, apiKey, jwtSecret, tenant, neighbour });
    reports.push({ ...result, seconds: Math.round((performance.now() - t0) / 1000) });
  }
  const floor = reports.find((r) => r.suite === "floor");
  if (floor && reports.length > 1) {
    await settle(db.proxy);
    await recheckFloor({ db, worker, apiKey, jwtSecret, tenant, neighbour }, floor);
  }
} finally {
  await worker.stop();
  await agentService.close();
  await db.stop();
}

const report = buildReport({ suites: reports, backend: db.backend, startedAt, loadAverageAtStart });
printSummary(report);
const written = writeReport(report, process.env.BENCH_REPORT_DIR ?? path.resolve(import.meta.dirname, "../../bench"));
console.log(`\nReport (${report.durationSeconds} s): ${written.md}\n                      ${written.json}`);
