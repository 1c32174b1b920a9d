import { createRequire } from "node:module";
import { neonConfig } from "@neondatabase/serverless";
import { createDatabase, type Database } from "../../src/db";
import type { LocalDatabase } from "./index";

/** The Worker's own database module, run from Node: scripts exercise exactly the production code path. */
export function nodeDatabase(vars: LocalDatabase["workerVars"]): Database {
  neonConfig.webSocketConstructor = createRequire(import.meta.url)("ws");
  return createDatabase({ url: vars.DATABASE_URL, wsProxy: vars.NEON_WS_PROXY, httpEndpoint: vars.NEON_HTTP_ENDPOINT });
}
