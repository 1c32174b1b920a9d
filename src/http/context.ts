import type { Config } from "../env";
import type { Database } from "../db";
import type { Logger } from "../lib/logger";
import type { Principal } from "../services/auth/principal";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    log: Logger;
    config: Config;
    db: Database;
    principal: Principal;
  };
}
