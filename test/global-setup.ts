import type { TestProject } from "vitest/node";
import { startAgentService } from "../scripts/agent-service/server";
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
  // The reference agent service (gRPC-Web and Connect for the Worker); tests shape executions through its
  // /__agent-service controls. It requires a token, so clients are seen sending theirs.
  const agentService = await startAgentService({ token: "test-agent-service-token" });
  project.provide("agentServiceUrl", agentService.url);
  project.provide("agentServiceToken", agentService.token!);
  console.log(`[test db] ${db.backend} at ${db.postgresUrl.replace(/:[^:@/]+@/, ":***@")}`);
  return async () => {
    await waha.close();
    await modelPeer.close();
    await agentService.close();
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
    /** Base of the reference agent service (scripts/agent-service): AgentService RPCs and /__agent-service controls. */
    agentServiceUrl: string;
    agentServiceToken: string;
  }
}
