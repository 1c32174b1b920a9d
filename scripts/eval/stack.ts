import { randomBytes } from "node:crypto";
import { createLogger } from "../../src/lib/logger";
import { createApiKey } from "../../src/services/api-keys/create";
import { createServiceContext } from "../../src/services/context";
import { provisionTenant } from "../../src/services/tenants/provision";
import { type LocalDatabase, startLocalDatabase } from "../local-db";
import { nodeDatabase } from "../local-db/node-driver";
import { startLocalWorker } from "../local-worker";

export interface EvalStack {
  url: string;
  apiKey: string;
  backend: LocalDatabase["backend"];
  stop(): Promise<void>;
}

/** Model settings (EMBEDDING_*, RERANK_*, MODEL_*) are taken from the caller's environment, so one run can evaluate a real model. */
const MODEL_SETTING = /^(EMBEDDING|RERANK|MODEL)_[A-Z_]+$/;

/**
 * The stack `npm run bench` measures, built from the same pieces: a fresh local database (PGlite, or
 * LOCAL_POSTGRES_URL), a scratch tenant whose admin API key drives the REST API, and `wrangler dev` in front of it.
 */
export async function startEvalStack(opts: { port: number; workerLogs: boolean }): Promise<EvalStack> {
  const db = await startLocalDatabase({ freshDatabase: true });
  try {
    const database = nodeDatabase(db.workerVars);
    const suffix = randomBytes(3).toString("hex");
    const p = await provisionTenant(database, {
      tenant: { name: "Retrieval eval", slug: `eval-${suffix}` },
      project: { name: "Scratch", slug: "scratch" },
      admin: { email: `eval-${suffix}@eval.test`, name: "Eval", password: randomBytes(12).toString("hex") },
    });
    const ctx = createServiceContext(
      database,
      { tenantId: p.tenant.id, projectId: p.project.id, role: "admin", actor: { type: "user", id: p.user.id } },
      createLogger({ eval: true }, "warn"),
    );
    const apiKey = (await createApiKey(ctx, { name: "retrieval eval", role: "admin" })).key;
    await database.close();
    const models = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => MODEL_SETTING.test(k) && v)) as Record<string, string>;
    const worker = await startLocalWorker({
      port: opts.port,
      stdio: opts.workerLogs ? "inherit" : "ignore",
      secrets: { DATABASE_URL: db.workerVars.DATABASE_URL, JWT_SECRET: randomBytes(32).toString("hex") },
      vars: {
        NEON_WS_PROXY: db.workerVars.NEON_WS_PROXY,
        NEON_HTTP_ENDPOINT: db.workerVars.NEON_HTTP_ENDPOINT,
        ENVIRONMENT: "development",
        LOG_LEVEL: opts.workerLogs ? "info" : "warn",
        // Hundreds of uploads and a search per query and configuration: the limiter is not what is measured.
        RATE_LIMITS: JSON.stringify({ free: { key: 1_000_000, tenant: 1_000_000 } }),
        ...models,
      },
    });
    return {
      url: worker.url,
      apiKey,
      backend: db.backend,
      async stop() {
        await worker.stop();
        await db.stop();
      },
    };
  } catch (err) {
    await db.stop();
    throw err;
  }
}
