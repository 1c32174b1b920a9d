/**
 * `npm run eval:dataset [-- --out <dir>] [--seed N]` — writes the synthetic BEIR set (scripts/eval/dataset.ts),
 * by default over the committed copy in test/fixtures/retrieval/.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_SEED, generateDataset, serializeDataset } from "./dataset";

const { values } = parseArgs({
  options: { out: { type: "string" }, seed: { type: "string" } },
  args: process.argv.slice(2).filter((a) => a !== "--"),
});
const out = path.resolve(values.out ?? path.join(import.meta.dirname, "../../test/fixtures/retrieval"));
const dataset = generateDataset(values.seed ? Number(values.seed) : DEFAULT_SEED);
let bytes = 0;
for (const [name, content] of Object.entries(serializeDataset(dataset))) {
  const file = path.join(out, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, content);
  bytes += Buffer.byteLength(content);
}
const judged = new Set(dataset.qrels.map(([q]) => q)).size;
console.log(
  `${path.relative(process.cwd(), out) || "."}: ${dataset.corpus.length} documents, ${dataset.queries.length} queries ` +
    `(${judged} judged), ${dataset.qrels.length} judgements, ${(bytes / 1024).toFixed(0)} KiB`,
);
