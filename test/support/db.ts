import { env } from "cloudflare:workers";
import { createDatabase, type Database } from "../../src/db";

/** The same driver and transports the Worker uses, for arranging and inspecting data in tests. */
export function testDatabase(): Database {
  return createDatabase({ url: env.DATABASE_URL, wsProxy: env.NEON_WS_PROXY, httpEndpoint: env.NEON_HTTP_ENDPOINT });
}
