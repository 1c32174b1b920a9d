import type { Database } from "../db";
import type { Logger } from "../lib/logger";
import type { Principal } from "./auth/principal";

/** What every service call receives, whichever transport (REST, MCP, queue, RPC) made it. */
export interface ServiceContext {
  db: Database;
  principal: Principal;
  log: Logger;
}
