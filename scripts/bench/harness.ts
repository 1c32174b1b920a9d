import type { NeonProxy } from "../local-db/neon-proxy";

export interface Result {
  name: string;
  requests: number;
  concurrency: number;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  roundTripsPerRequest: number;
  errors: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Runs `fn` `requests` times with `concurrency` in flight; round trips are read from the database proxy's counters. */
export async function measure(
  name: string,
  opts: { requests: number; concurrency: number; warmup?: number; proxy: NeonProxy },
  fn: (i: number) => Promise<boolean>,
): Promise<Result> {
  for (let i = 0; i < (opts.warmup ?? 10); i++) await fn(-1 - i);
  opts.proxy.reset();
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.requests) {
        const i = next++;
        const t0 = performance.now();
        const ok = await fn(i).catch(() => false);
        latencies.push(performance.now() - t0);
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
      "db round trips/req": r.roundTripsPerRequest.toFixed(2),
      errors: r.errors,
    })),
  );
}
