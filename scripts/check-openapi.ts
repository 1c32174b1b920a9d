/**
 * `npm run openapi:check` — builds the app in Node, fetches /openapi.json from it and validates the document
 * against the official OpenAPI 3.1 JSON Schema. Run by CI.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { createApp } from "../src/app";

const app = createApp();
const env = { DATABASE_URL: "postgres://check:check@127.0.0.1:5432/check", JWT_SECRET: "x".repeat(32), ENVIRONMENT: "test" };
const ctx = { waitUntil: () => {}, passThroughOnException: () => {}, props: {} };
const res = await app.request("/openapi.json", {}, env, ctx as never);
if (!res.ok) throw new Error(`/openapi.json answered ${res.status}`);
const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
const validator = new Validator();
const result = await validator.validate(doc);
const operations = Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
if (!result.valid) {
  console.error(JSON.stringify(result.errors, null, 2));
  console.error(`OpenAPI ${doc.openapi} document is INVALID (${operations} operations)`);
  process.exit(1);
}
console.log(
  `OpenAPI ${doc.openapi} document is valid: ${Object.keys(doc.paths).length} paths, ${operations} operations ` +
    `(validator ${validator.version})`,
);
