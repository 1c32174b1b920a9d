import type { Database } from "../db";
import type { Config } from "../env";
import type { Logger } from "../lib/logger";
import type { PendingEvent } from "../outbox/writer";
import type { Principal } from "../services/auth/principal";
import type { ServiceContext } from "../services/context";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    config: Config;
    db: Database;
    principal: Principal;
    /** Outbox ids committed outside a service context (e.g. by the webhook ingestion); published after the response. */
    committedEvents: PendingEvent[];
    /** Set by `requireAuth`: the context every service call of this request receives. */
    svc: ServiceContext;
  };
}
