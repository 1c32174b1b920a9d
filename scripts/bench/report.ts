import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { FLOOR_LABELS, type FloorKind, ms, type Result, type SuiteReport } from "./harness";

/** A scenario read against the floor of its kind at the same concurrency (measured in the same run). */
export interface Ratios {
  floor: FloorKind;
  concurrency: number;
  floorP50: number;
  floorP95: number;
  floorRps: number;
  /** Latency ÷ the floor's: 1 = as fast as the floor, 3 = three times slower. */
  p50: number;
  p95: number;
  /** Throughput ÷ the floor's: 1 = as many requests per second as the floor, 0.25 = a quarter. */
  rps: number;
}

export type ScenarioRow = Result & { suite: string; ratios?: Ratios };

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  environment: {
    backend: string;
    node: string;
    platform: string;
    cpus: number;
    cpuModel: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
    commit: string;
  };
  floor: Result[];
  scenarios: ScenarioRow[];
  checks: Record<string, Record<string, unknown>[]>;
  suites: { suite: string; title: string; seconds?: number }[];
}

export function ratiosFor(result: Result, floor: Result[]): Ratios | undefined {
  const base = floor.find((f) => f.floorKind === result.floor && f.concurrency === result.concurrency);
  if (!base || !result.floor) return undefined;
  return {
    floor: result.floor,
    concurrency: base.concurrency,
    floorP50: base.p50,
    floorP95: base.p95,
    floorRps: base.rps,
    p50: result.p50 / base.p50,
    p95: result.p95 / base.p95,
    rps: result.rps / base.rps,
  };
}

export function buildReport(opts: { suites: SuiteReport[]; backend: string; startedAt: Date; loadAverageAtStart: number[] }): BenchReport {
  const floor = opts.suites.find((s) => s.suite === "floor")?.results ?? [];
  const scenarios = opts.suites
    .filter((s) => s.suite !== "floor")
    .flatMap((s) => s.results.map((r) => ({ ...r, suite: s.suite, ratios: ratiosFor(r, floor) })));
  const finished = new Date();
  return {
    startedAt: opts.startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - opts.startedAt.getTime()) / 1000),
    environment: {
      backend: opts.backend,
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      loadAverageAtStart: opts.loadAverageAtStart.map((n) => Number(n.toFixed(2))),
      loadAverageAtEnd: os.loadavg().map((n) => Number(n.toFixed(2))),
      commit: gitCommit(),
    },
    floor,
    scenarios,
    checks: Object.fromEntries(opts.suites.filter((s) => s.checks?.length).map((s) => [s.suite, s.checks!])),
    suites: opts.suites.map((s) => ({ suite: s.suite, title: s.title, seconds: s.seconds })),
  };
}

const x = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? "-" : `${n < 10 ? n.toFixed(2) : n.toFixed(1)}×`);
const floorName = (r: Ratios) => `${FLOOR_LABELS[r.floor]} @${r.concurrency}`;

export function printSummary(report: BenchReport) {
  console.log("\nEvery scenario against the floor at the same concurrency (latency ×floor: 1 = as fast; req/s ×floor: 1 = as many)");
  console.table(
    report.scenarios.map((r) => ({
      scenario: r.name,
      conc: r.concurrency,
      "p50 ms": ms(r.p50),
      "p95 ms": ms(r.p95),
      "req/s": r.rps.toFixed(0),
      floor: r.ratios ? floorName(r.ratios) : "(floor not measured)",
      "floor p50/p95 ms": r.ratios ? `${ms(r.ratios.floorP50)} / ${ms(r.ratios.floorP95)}` : "-",
      "p50 ×": x(r.ratios?.p50),
      "p95 ×": x(r.ratios?.p95),
      "req/s ×": x(r.ratios?.rps),
    })),
  );
}

export function toMarkdown(report: BenchReport): string {
  const e = report.environment;
  const lines: string[] = [];
  const table = (head: string[], rows: string[][], align: string[]) => {
    lines.push(`| ${head.join(" | ")} |`, `| ${align.join(" | ")} |`, ...rows.map((r) => `| ${r.join(" | ")} |`), "");
  };
  const rt = (r: Result) => `${r.requestPathRoundTrips?.toFixed(2) ?? "-"} / ${r.roundTripsPerRequest.toFixed(2)}`;
  lines.push(
    `# npm run bench — ${report.startedAt}`,
    "",
    `${e.backend} · Node ${e.node} · ${e.cpus} × ${e.cpuModel} · load average ${e.loadAverageAtStart.join(" / ")} at start, ` +
      `${e.loadAverageAtEnd.join(" / ")} at the end · ${e.commit}`,
    "",
    `${report.durationSeconds} s in all: ${report.suites.map((s) => `${s.suite} ${s.seconds ?? "?"} s`).join(" · ")}.`,
    "",
    "Every scenario is read against the stack's own floor, measured in the same run at the same concurrency: the same",
    "wrangler dev → Neon driver → proxy → database path doing nothing, `select 1`, or a single-row insert",
    "(`src/http/routes/bench.ts`). Latency ×floor: 1 = as fast as the floor; req/s ×floor: 1 = as many requests per",
    "second. Round trips: request path (Server-Timing) / including asynchronous work (counted at the proxy).",
    "",
    "## Floor",
    "",
  );
  table(
    ["floor", "conc", "requests", "p50 ms", "p95 ms", "p99 ms", "req/s", "round trips", "errors"],
    report.floor.map((r) => [
      FLOOR_LABELS[r.floorKind!],
      String(r.concurrency),
      String(r.requests),
      ms(r.p50),
      ms(r.p95),
      ms(r.p99),
      r.rps.toFixed(0),
      rt(r),
      String(r.errors),
    ]),
    ["---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:"],
  );
  lines.push("## Scenarios against the floor", "");
  table(
    ["scenario", "conc", "p50 ms", "p95 ms", "p99 ms", "req/s", "round trips", "errors", "floor", "p50 ×", "p95 ×", "req/s ×"],
    report.scenarios.map((r) => [
      r.name,
      String(r.concurrency),
      ms(r.p50),
      ms(r.p95),
      ms(r.p99),
      r.rps.toFixed(0),
      rt(r),
      String(r.errors),
      r.ratios ? floorName(r.ratios) : "(not measured)",
      x(r.ratios?.p50),
      x(r.ratios?.p95),
      x(r.ratios?.rps),
    ]),
    ["---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "---", "--:", "--:", "--:"],
  );
  const live = report.scenarios.filter((r) => r.suite === "live");
  if (live.length) {
    lines.push(
      "## Live updates",
      "",
      "Each sample is one listener's time from sending the webhook POST to receiving its `message.created` frame on",
      "`/api/v1/realtime`; senders wait for every listener's frame before sending again. Columns: p50 / p95 / p99 ms;",
      '"200 → first frame" is what the push adds after the webhook\'s answer (outbox read-back, Durable Object publish).',
      "",
    );
    const p = (r: Result, k: string) => {
      const v = r.extra?.[k] as { p50: number; p95: number; p99: number } | undefined;
      return v ? `${ms(v.p50)} / ${ms(v.p95)} / ${ms(v.p99)}` : "-";
    };
    table(
      ["scenario", "POST → frame p50 / p95 / p99", "POST → 200", "200 → first frame", "last listener", "frames missing", "p95 target"],
      live.map((r) => [
        r.name,
        `${ms(r.p50)} / ${ms(r.p95)} / ${ms(r.p99)}`,
        p(r, "POST → 200 (commit)"),
        p(r, "200 received → first listener's frame"),
        p(r, "POST → last listener's frame"),
        `${r.extra?.framesMissing} of ${r.extra?.framesExpected}`,
        `≤ ${r.extra?.targetP95Ms} ms: ${r.extra?.meetsTarget ? "met" : "**not met**"}`,
      ]),
      ["---", "--:", "--:", "--:", "--:", "--:", "---"],
    );
  }
  for (const [suite, checks] of Object.entries(report.checks)) {
    lines.push(`## Checks: ${suite}`, "");
    const keys = Object.keys(checks[0] ?? {});
    table(
      keys,
      checks.map((c) => keys.map((k) => String(c[k]))),
      keys.map(() => "---"),
    );
  }
  return `${lines.join("\n").trimEnd()}\n`;
}

/** Writes report.json and report.md into `dir`; returns their paths. */
export function writeReport(report: BenchReport, dir: string) {
  mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "report.json");
  const md = path.join(dir, "report.md");
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(md, toMarkdown(report));
  return { json, md };
}

function gitCommit() {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return dirty ? `${sha} + uncommitted changes` : sha;
  } catch {
    return "unknown";
  }
}
