import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

export interface LocalWorker {
  url: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

const root = path.resolve(import.meta.dirname, "..");

/** Production's [vars] choose Workers AI; local runs have no account behind the AI binding. Callers may override. */
const LOCAL_MODEL_VARS = {
  EMBEDDING_PROVIDER: "offline",
  RERANK_PROVIDER: "none",
  TRANSCRIPTION_PROVIDER: "none",
  VISION_PROVIDER: "none",
};

/**
 * `wrangler dev` as a child process (its own process group, so stopping it stops workerd too). Secrets go through
 * the environment, where wrangler looks for `[secrets] required`; plain vars through --var.
 *
 * `--local` keeps remote-only bindings (AI) from opening a session on Cloudflare, which needs a login that local
 * runs do not have; the binding then exists but throws, so embeddings default to the offline provider here.
 */
export async function startLocalWorker(opts: {
  port: number;
  inspectorPort?: number;
  vars: Record<string, string>;
  secrets: Record<string, string>;
  stdio?: "inherit" | "ignore";
  waitForHealth?: boolean;
}): Promise<LocalWorker> {
  const child = spawn(
    "npx",
    [
      "wrangler",
      "dev",
      "--port",
      String(opts.port),
      "--ip",
      "127.0.0.1",
      "--inspector-port",
      String(opts.inspectorPort ?? opts.port + 1442),
      "--show-interactive-dev-session=false",
      "--local",
      // Exposes /__scheduled: local runs have no cron, so callers trigger the scheduled handler themselves.
      "--test-scheduled",
      ...Object.entries({ ...LOCAL_MODEL_VARS, ...opts.vars }).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ],
    {
      cwd: root,
      stdio: ["ignore", opts.stdio ?? "inherit", opts.stdio ?? "inherit"],
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        WRANGLER_SEND_ERROR_REPORTS: "false",
        CLOUDFLARE_CF_FETCH_ENABLED: "false",
        WRANGLER_HIDE_BANNER: "true",
        ...opts.secrets,
      },
      detached: true,
    },
  );
  const url = `http://127.0.0.1:${opts.port}`;
  const worker: LocalWorker = {
    url,
    process: child,
    async stop() {
      if (child.exitCode !== null || !child.pid) return;
      const exited = new Promise((r) => child.once("exit", r));
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
  if (opts.waitForHealth !== false) await waitForHealth(url, child);
  return worker;
}

export async function waitForHealth(url: string, child?: ChildProcess, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health`);
      await res.body?.cancel();
      if (res.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url}/health did not answer 200 within ${timeoutMs / 1000} s`);
}
