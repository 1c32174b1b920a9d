/**
 * `npm run check:crash` — the durability contract of `npm run dev`: SIGKILL the whole stack while it is
 * answering writes, start it again on the same data, and every write that was acknowledged must be there.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { waitForHealth } from "./local-worker";

const port = Number(process.env.PORT ?? 8791);
const dataDir = mkdtempSync(path.join(tmpdir(), "ventros-crash-"));
const base = `http://127.0.0.1:${port}`;

function start(): ChildProcess {
  return spawn("npx", ["tsx", "scripts/dev.ts"], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" } as unknown as NodeJS.ProcessEnv,
    stdio: "ignore",
    detached: true,
  });
}

let dev = start();
await waitForHealth(base, undefined, 90_000);
const { apiKey } = JSON.parse(readFileSync(path.join(dataDir, "dev.json"), "utf8")) as { apiKey: string };
const headers = { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };

const acknowledged: string[] = [];
let writing = true;
const writers = Array.from({ length: 4 }, async (_, w) => {
  for (let i = 0; writing; i++) {
    try {
      const res = await fetch(`${base}/api/v1/contacts`, { method: "POST", headers, body: JSON.stringify({ name: `crash ${w}-${i}` }) });
      if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
      else await res.body?.cancel();
    } catch {
      return; // the stack is gone
    }
  }
});
await new Promise((r) => setTimeout(r, 3000));
process.kill(-dev.pid!, "SIGKILL");
writing = false;
await Promise.all(writers);
console.log(`killed the dev stack with SIGKILL after ${acknowledged.length} acknowledged writes`);

dev = start();
await waitForHealth(base, undefined, 90_000);
let missing = 0;
for (const id of acknowledged) {
  const res = await fetch(`${base}/api/v1/contacts/${id}`, { headers });
  if (res.status !== 200) missing++;
  await res.body?.cancel();
}
process.kill(-dev.pid!, "SIGINT");
await new Promise((r) => setTimeout(r, 3000));
rmSync(dataDir, { recursive: true, force: true });
if (acknowledged.length === 0 || missing > 0) {
  console.error(`crash recovery FAILED: ${missing} of ${acknowledged.length} acknowledged writes missing`);
  process.exit(1);
}
console.log(`crash recovery ok: all ${acknowledged.length} acknowledged writes present after restart`);
process.exit(0);
