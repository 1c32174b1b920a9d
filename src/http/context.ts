import type { Config } from "../env";
import type { Database } from "../db";
import type { Logger } from "../lib/logger";
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
    /** Set by `requireAuth`: the context every service call of this request receives. */
    svc: ServiceContext;
  };
}
