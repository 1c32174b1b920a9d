/**
 * `npm run memory:reembed -- --url <api base> --token <admin API key> [--batch 100]` — moves a project's memory to
 * the embedding model its Worker is configured with (EMBEDDING_PROVIDER / EMBEDDING_MODEL), one batch per call of
 * POST /api/v1/memory/reembed, with a progress bar. The Worker does the embedding (it holds the model binding);
 * this only drives it. Safe to stop and run again: each call moves what is still on another model.
 * The token's project is the one moved (an API key belongs to one project). Until it finishes, search compares only
 * the rows already on the new model.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== "--"),
  options: {
    url: { type: "string", default: process.env.VENTROS_URL ?? "http://127.0.0.1:8787" },
    token: { type: "string", default: process.env.VENTROS_TOKEN },
    batch: { type: "string", default: "100" },
  },
});
if (!values.token) {
  console.error("--token (or VENTROS_TOKEN) is required: an admin API key of the project to re-embed");
  process.exit(2);
}
const batchSize = Number(values.batch);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 500) {
  console.error("--batch must be an integer between 1 and 500");
  process.exit(2);
}

interface Step {
  model: string;
  updated: number;
  remaining: number;
  done: boolean;
}

async function step(): Promise<Step> {
  const res = await fetch(new URL("/api/v1/memory/reembed", values.url), {
    method: "POST",
    headers: { authorization: `Bearer ${values.token}`, "content-type": "application/json" },
    body: JSON.stringify({ batchSize }),
  });
  const body = (await res.json().catch(() => null)) as (Step & { error?: { message?: string } }) | null;
  if (!res.ok) throw new Error(`${res.status}: ${body?.error?.message ?? "no error message"}`);
  return body!;
}

function bar(done: number, total: number, model: string) {
  const width = 30;
  const ratio = total ? done / total : 1;
  const filled = Math.round(ratio * width);
  const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} (${(ratio * 100).toFixed(1)}%) → ${model}`;
  process.stderr.write(process.stderr.isTTY ? `\r${line}` : `${line}\n`);
}

let moved = 0;
let total: number | undefined;
for (;;) {
  const s = await step().catch((err: Error) => {
    process.stderr.write("\n");
    console.error(`re-embedding stopped after ${moved} rows: ${err.message} (run again to continue)`);
    process.exit(1);
  });
  moved += s.updated;
  total ??= s.updated + s.remaining;
  // Rows added meanwhile (new messages, documents) join the count.
  total = Math.max(total, moved + s.remaining);
  bar(moved, total, s.model);
  if (s.done || s.updated === 0) {
    process.stderr.write("\n");
    console.log(s.done ? `done: ${moved} rows moved; the project's memory is on ${s.model}` : `stopped: ${s.remaining} rows left`);
    break;
  }
}
