import type { TestProject } from "vitest/node";
import { startLocalDatabase } from "../scripts/local-db";
import { startModelPeer } from "../scripts/model-peer/server";
import { startWahaSandbox } from "../scripts/waha-sandbox/server";

/**
 * Starts the database the tests reach through the real Neon driver: an in-memory PGlite by default, or a fresh
 * database on the PostgreSQL named by LOCAL_POSTGRES_URL (CI). Migrations are applied exactly as `npm run dev` does.
 */
export default async function setup(project: TestProject) {
  const db = await startLocalDatabase({ freshDatabase: true });
  project.provide("workerVars", db.workerVars);
  project.provide("postgresUrl", db.postgresUrl);
  project.provide("proxyPort", db.proxy.port);
  // A WAHA peer speaking the real send API; tests configure sessions through its /__sandbox endpoints.
  const waha = await startWahaSandbox();
  project.provide("wahaUrl", waha.url);
  // An embeddings + rerank peer speaking the OpenAI and Cohere protocols (offline vectors, lexical scores); tests make it
  // fail per model name through /__peer/faults. It requires a key, so clients are seen sending theirs.
  const modelPeer = await startModelPeer({ apiKey: "test-model-peer-key" });
  project.provide("modelPeerUrl", modelPeer.url);
  project.provide("modelPeerKey", modelPeer.apiKey!);
  console.log(`[test db] ${db.backend} at ${db.postgresUrl.replace(/:[^:@/]+@/, ":***@")}`);
  return async () => {
    await waha.close();
    await modelPeer.close();
    await db.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    workerVars: { DATABASE_URL: string; NEON_WS_PROXY: string; NEON_HTTP_ENDPOINT: string };
    postgresUrl: string;
    proxyPort: number;
    wahaUrl: string;
    /** Base of the model peer; its APIs are under /v1 (embeddings, rerank, models). */
    modelPeerUrl: string;
    modelPeerKey: string;
  }
}
