import type { Database } from "../db";
import type { Logger } from "../lib/logger";
import { OutboxWriter } from "../outbox/writer";
import type { Principal } from "./auth/principal";
import type { MemoryDeps } from "./memory/deps";

/** What every service call receives, whichever transport (REST, MCP, queue, RPC) made it. */
export interface ServiceContext {
  db: Database;
  principal: Principal;
  log: Logger;
  /** Domain events written by this call; the transport publishes them after commit. */
  outbox: OutboxWriter;
  /** Where this deployment is reachable from outside (webhook URLs shown to admins), when configured. */
  publicBaseUrl?: string;
  /** The deployment's signing secret (JWT_SECRET), for services that issue or verify tokens (invitations). */
  signingSecret?: string;
  /** Models and storage of the memory service (documents, embeddings, search), where the transport provides them. */
  memory?: MemoryDeps;
}

export function createServiceContext(db: Database, principal: Principal, log: Logger, publicBaseUrl?: string): ServiceContext {
  return { db, principal, log, outbox: new OutboxWriter({ tenantId: principal.tenantId, projectId: principal.projectId }), publicBaseUrl };
}
