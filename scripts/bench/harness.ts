import type { NeonProxy } from "../local-db/neon-proxy";

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
}

export type Outcome = boolean | { ok: boolean; roundTrips?: number };

/** Reads `Server-Timing: db;desc="N round trips"`. */
export const serverTimingRoundTrips = (res: Response) => {
  const m = res.headers.get("server-timing")?.match(/db;desc="(\d+) round trips"/);
  return m ? Number(m[1]) : undefined;
};

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Runs `fn` `requests` times with `concurrency` in flight; round trips are read from the database proxy's counters. */
export async function measure(
  name: string,
  opts: { requests: number; concurrency: number; warmup?: number; proxy: NeonProxy },
  fn: (i: number) => Promise<Outcome>,
): Promise<Result> {
  for (let i = 0; i < (opts.warmup ?? 10); i++) await fn(-1 - i);
  opts.proxy.reset();
  const latencies: number[] = [];
  const pathRoundTrips: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.requests) {
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
  const sorted = latencies.sort((a, b) => a - b);
  return {
    name,
    requests: opts.requests,
    concurrency: opts.concurrency,
    p50: pct(sorted, 50),
    p95: pct(sorted, 95),
    p99: pct(sorted, 99),
    rps: opts.requests / elapsed,
    roundTripsPerRequest: opts.proxy.stats().roundTrips / opts.requests,
    requestPathRoundTrips: pathRoundTrips.length ? pathRoundTrips.reduce((a, b) => a + b, 0) / pathRoundTrips.length : undefined,
    errors,
  };
}

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
