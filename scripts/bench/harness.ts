import type { NeonProxy } from "../local-db/neon-proxy";

/**
 * The stack's floor a scenario is read against (scripts/bench/floor.ts): `noop` — the Worker alone, no query;
 * `select` — one trivial query (`select 1`); `insert` — one single-row insert. Same path as every route.
 */
export type FloorKind = "noop" | "select" | "insert";
export const FLOOR_LABELS: Record<FloorKind, string> = {
  noop: "Worker only, no query",
  select: "trivial query (select 1)",
  insert: "single-row insert",
};

export interface Result {
  name: string;
  requests: number;
  concurrency: number;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  /** All database round trips seen at the proxy during the run (includes async work: outbox publish, consumers). */
  roundTripsPerRequest: number;
  /** Round trips on the request path itself, from the Worker's Server-Timing header. */
  requestPathRoundTrips?: number;
  errors: number;
  /** What this scenario is read against: the floor of this kind at the same concurrency. */
  floor?: FloorKind;
  /** Set on the floor's own measurements. */
  floorKind?: FloorKind;
  /** Scenario-specific figures (kept in the JSON report). */
  extra?: Record<string, unknown>;
}

/** What each suite hands back: its measurements plus any checks (rows lost, frames missing…) worth reporting. */
export interface SuiteReport {
  suite: string;
  title: string;
  results: Result[];
  checks?: Record<string, unknown>[];
  /** Wall-clock time of the suite, setup included (set by the runner). */
  seconds?: number;
}

export type Outcome = boolean | { ok: boolean; roundTrips?: number };

/** Reads `Server-Timing: db;desc="N round trips"`. */
export const serverTimingRoundTrips = (res: Response) => {
  const m = res.headers.get("server-timing")?.match(/db;desc="(\d+) round trips"/);
  return m ? Number(m[1]) : undefined;
};

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** p50/p95/p99 of a set of latencies (ms). */
export function percentiles(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: pct(sorted, 50), p95: pct(sorted, 95), p99: pct(sorted, 99) };
}

/**
 * Per scenario, at most this long once {@link MIN_REQUESTS} have completed (BENCH_MAX_SECONDS; default 10): keeps
 * the whole run within a few minutes on a loaded machine. `requests` in a result is what actually completed.
 */
export const MAX_SECONDS = Number(process.env.BENCH_MAX_SECONDS ?? 10);
export const MIN_REQUESTS = 100;

/** Runs `fn` `requests` times with `concurrency` in flight; round trips are read from the database proxy's counters. */
export async function measure(
  name: string,
  opts: { requests: number; concurrency: number; warmup?: number; proxy: NeonProxy; floor?: FloorKind; maxSeconds?: number },
  fn: (i: number) => Promise<Outcome>,
): Promise<Result> {
  for (let i = 0; i < (opts.warmup ?? 10); i++) await fn(-1 - i);
  opts.proxy.reset();
  const latencies: number[] = [];
  const pathRoundTrips: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + (opts.maxSeconds ?? MAX_SECONDS) * 1000;
  const more = () => next < opts.requests && (next < MIN_REQUESTS || performance.now() < deadline);
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (more()) {
        const i = next++;
        const t0 = performance.now();
        const outcome = await fn(i).catch(() => false as Outcome);
        latencies.push(performance.now() - t0);
        const ok = typeof outcome === "boolean" ? outcome : outcome.ok;
        if (typeof outcome === "object" && outcome.roundTrips !== undefined) pathRoundTrips.push(outcome.roundTrips);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const done = latencies.length;
  return {
    name,
    requests: done,
    concurrency: opts.concurrency,
    ...percentiles(latencies),
    rps: done / elapsed,
    roundTripsPerRequest: opts.proxy.stats().roundTrips / done,
    requestPathRoundTrips: pathRoundTrips.length ? pathRoundTrips.reduce((a, b) => a + b, 0) / pathRoundTrips.length : undefined,
    errors,
    ...(opts.floor ? { floor: opts.floor } : {}),
  };
}

/**
 * Waits until the database has been quiet (no round trip at the proxy) for `quietMs`, at most `maxMs`: the
 * previous suite's asynchronous work (outbox publishing, queue consumers) must not bleed into the next one.
 */
export async function settle(proxy: NeonProxy, { quietMs = 1_000, maxMs = 20_000 } = {}) {
  const deadline = Date.now() + maxMs;
  let last = proxy.stats().roundTrips;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    const now = proxy.stats().roundTrips;
    if (now !== last) {
      last = now;
      quietSince = Date.now();
    } else if (Date.now() - quietSince >= quietMs) return;
  }
}

export const ms = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? "-" : n < 10 ? n.toFixed(1) : n.toFixed(0));

export function printTable(title: string, results: Result[]) {
  console.log(`\n${title}`);
  console.table(
    results.map((r) => ({
      scenario: r.name,
      requests: r.requests,
      conc: r.concurrency,
      "p50 ms": r.p50.toFixed(1),
      "p95 ms": r.p95.toFixed(1),
      "p99 ms": r.p99.toFixed(1),
      "req/s": r.rps.toFixed(0),
      "db round trips/req (request path)": r.requestPathRoundTrips?.toFixed(2) ?? "-",
      "db round trips/req (incl. async)": r.roundTripsPerRequest.toFixed(2),
      errors: r.errors,
    })),
  );
}
