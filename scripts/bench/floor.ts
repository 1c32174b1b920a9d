import pg from "pg";
import { BENCH_FLOOR_DDL, BENCH_PREFIX } from "../../src/http/routes/bench";
import { FLOOR_LABELS, type FloorKind, measure, printTable, type Result, type SuiteReport, serverTimingRoundTrips } from "./harness";
import type { BenchEnv } from "./index";

/** Every concurrency a scenario runs at: each is read against the floor at the same concurrency. */
export const FLOOR_CONCURRENCY = [1, 10, 50] as const;
const REQUESTS: Record<(typeof FLOOR_CONCURRENCY)[number], number> = { 1: 200, 10: 300, 50: 500 };

const ROUTES: Record<FloorKind, { method: "GET" | "POST"; path: string }> = {
  noop: { method: "GET", path: "/noop" },
  select: { method: "GET", path: "/select" },
  insert: { method: "POST", path: "/insert" },
};

/**
 * The stack's own floor, measured in the same run as the scenarios: the bench-only routes of
 * src/http/routes/bench.ts (mounted in development only) — the Worker alone, `select 1`, a single-row insert —
 * each over the same wrangler dev → Neon driver → proxy → database path, at every concurrency scenarios use.
 */
export async function benchFloor(env: BenchEnv): Promise<SuiteReport> {
  const client = new pg.Client({ connectionString: env.db.postgresUrl });
  await client.connect();
  await client.query(BENCH_FLOOR_DDL);
  await client.end();

  const probe = await fetch(`${env.worker.url}${BENCH_PREFIX}/noop`);
  await probe.body?.cancel();
  if (probe.status === 404) {
    throw new Error(
      `${BENCH_PREFIX}/noop answered 404: the bench routes are not mounted. Add to createApp() in src/app.ts:\n` +
        `  app.route(BENCH_PREFIX, benchRoutes);   // import { BENCH_PREFIX, benchRoutes } from "./http/routes/bench";`,
    );
  }

  const results: Result[] = [];
  for (const concurrency of FLOOR_CONCURRENCY) {
    for (const kind of ["noop", "select", "insert"] as const) {
      const r = await measure(`floor: ${kind}`, { requests: REQUESTS[concurrency], concurrency, proxy: env.db.proxy }, call(env, kind));
      results.push({ ...r, floorKind: kind });
    }
  }
  const title = `Floor — the same Worker → Neon driver → ${env.db.backend} path doing nothing, select 1, a single-row insert`;
  printTable(title, results);
  return { suite: "floor", title, results };
}

const call = (env: BenchEnv, kind: FloorKind) => async () => {
  const { method, path } = ROUTES[kind];
  const res = await fetch(`${env.worker.url}${BENCH_PREFIX}${path}`, { method });
  const body = (await res.json()) as { ok?: boolean };
  return { ok: res.ok && body.ok === true, roundTrips: serverTimingRoundTrips(res) };
};

/**
 * The floor again, briefly, after the other suites: how far the machine drifted during the run (other load, thermal,
 * a warmer JIT). Large drift means the ratios of the later suites are less trustworthy than their absolute figures.
 */
export async function recheckFloor(env: BenchEnv, floor: SuiteReport) {
  const checks: Record<string, unknown>[] = [];
  for (const kind of ["select", "insert"] as const) {
    const before = floor.results.find((r) => r.floorKind === kind && r.concurrency === 1);
    if (!before) continue;
    const after = await measure(`floor again: ${kind}`, { requests: 150, concurrency: 1, proxy: env.db.proxy }, call(env, kind));
    checks.push({
      "re-measured after the other suites": `${FLOOR_LABELS[kind]} @1`,
      "p50 ms (start → end)": `${before.p50.toFixed(1)} → ${after.p50.toFixed(1)}`,
      "p95 ms (start → end)": `${before.p95.toFixed(1)} → ${after.p95.toFixed(1)}`,
      "p50 drift": `${(((after.p50 - before.p50) / before.p50) * 100).toFixed(0)} %`,
    });
  }
  floor.checks = checks;
}
