/**
 * `npm run dev` — the whole local stack in one command:
 * database (PGlite in .data/, or LOCAL_POSTGRES_URL) + Neon proxy stand-ins, migrations, demo seed,
 * the local WAHA sandbox, the reference agent service, then `wrangler dev`. Ctrl-C stops every child; a second run reuses the data.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { CONSUMED_TOPICS } from "../src/queue/consumed-topics";
import { llmFromEnv, type ReferenceAgentService, startAgentService } from "./agent-service/server";
import { startLocalDatabase } from "./local-db";
import { nodeDatabase } from "./local-db/node-driver";
import { startLocalWorker, waitForHealth } from "./local-worker";
import { type DevCredentials, seedDemo } from "./seed";
import { startWahaSandbox } from "./waha-sandbox/server";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.resolve(root, process.env.DATA_DIR ?? ".data");
const credentialsFile = path.join(dataDir, "dev.json");
const pidFile = path.join(dataDir, "wrangler.pid");
const port = Number(process.env.PORT ?? 8787);
const inspectorPort = Number(process.env.INSPECTOR_PORT ?? port + 1442);
const wahaPort = Number(process.env.WAHA_SANDBOX_PORT ?? port + 12);
const agentServicePort = Number(process.env.AGENT_SERVICE_PORT ?? port + 13);
const baseUrl = `http://127.0.0.1:${port}`;

mkdirSync(dataDir, { recursive: true });
killStaleWrangler();

const started = Date.now();
const db = await startLocalDatabase({
  dataDir: path.join(dataDir, "pglite"),
  proxyPort: Number(process.env.DB_PROXY_PORT ?? 0) || undefined,
});
const existing = existsSync(credentialsFile) ? (JSON.parse(readFileSync(credentialsFile, "utf8")) as DevCredentials) : undefined;
const database = nodeDatabase(db.workerVars);
const { credentials, created } = await seedDemo(database, {
  baseUrl,
  wahaUrl: `http://127.0.0.1:${wahaPort}`,
  existing,
});
// The local queue keeps messages in memory: events published but not consumed when dev was killed are lost there
// (production Queues keep them). The outbox knows them — published, with no consumer record — so they are marked
// unpublished again, and the first cron run below publishes them.
const recovered = await database.query.execute<{ id: string }>(sql`
  update outbox set published_at = null
  where published_at > now() - interval '1 day'
    and topic in (${sql.join(
      CONSUMED_TOPICS.map((t) => sql`${t}`),
      sql`, `,
    )})
    and not exists (select 1 from processed_webhook_events p
                    where p.source = 'queue' and p.dedupe_key = outbox.topic || ':' || outbox.id::text)
  returning id`);
await database.close();
const agent = await agentServiceFromEnv();
writeFileSync(credentialsFile, `${JSON.stringify({ ...credentials, agentService: agent.settings }, null, 2)}\n`, { mode: 0o600 });

const waha = await startWahaSandbox({ port: wahaPort, dataFile: path.join(dataDir, "waha-sandbox.json") });
waha.configure({
  name: credentials.channel.wahaSession,
  webhookUrl: credentials.channel.webhookUrl,
  hmacKey: credentials.channel.webhookSecret,
  autoAck: true,
});

const wrangler = (
  await startLocalWorker({
    port,
    inspectorPort,
    secrets: { DATABASE_URL: db.workerVars.DATABASE_URL, JWT_SECRET: credentials.jwtSecret },
    vars: {
      NEON_WS_PROXY: db.workerVars.NEON_WS_PROXY,
      NEON_HTTP_ENDPOINT: db.workerVars.NEON_HTTP_ENDPOINT,
      ENVIRONMENT: "development",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
      PUBLIC_BASE_URL: baseUrl,
      BUILD_COMMIT: "local",
      AGENT_SERVICE_URL: agent.settings.url,
      AGENT_SERVICE_PROTOCOL: agent.settings.protocol,
      ...modelSettingsFromEnv(),
    },
    waitForHealth: false,
  })
).process;
writeFileSync(pidFile, String(wrangler.pid));

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  try {
    if (wrangler.pid && wrangler.exitCode === null) process.kill(-wrangler.pid, "SIGTERM");
  } catch {}
  await waha.close();
  await agent.service?.close();
  await db.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));
wrangler.on("exit", (code) => {
  if (!stopping) {
    console.error(`wrangler dev exited (${code}); stopping the stack`);
    void shutdown(code ?? 1);
  }
});

try {
  await waitForHealth(baseUrl, wrangler);
} catch (err) {
  console.error(String(err));
  await shutdown(1);
}
// Production runs the scheduled handler every minute (wrangler.toml [triggers]); locally nothing does, so dev does:
// sessions expire, stale sends are reconciled and the outbox sweep publishes what a request did not.
const runCron = () =>
  fetch(`${baseUrl}/__scheduled?cron=${encodeURIComponent("* * * * *")}`)
    .then((r) => r.body?.cancel())
    .catch(() => {});
void runCron();
const lost = recovered.rows.length ? ` (${recovered.rows.length} events the local queue lost are re-published)` : "";
setInterval(runCron, 60_000).unref();
console.log(`
  Ventros CRM is up (${((Date.now() - started) / 1000).toFixed(1)} s, database: ${db.backend}${created ? ", demo data seeded" : ""})

  API            ${baseUrl}
  Health         ${baseUrl}/health
  Admin          ${credentials.admin.email} / ${credentials.admin.password}
  API key        ${credentials.apiKey}
  WAHA webhook   ${credentials.channel.webhookUrl}  (HMAC secret in .data/dev.json)
  WAHA sandbox   ${waha.url}
  Agent service  ${agent.settings.url} (${agent.settings.protocol}; ${agent.settings.model})
  Postgres       ${db.postgresUrl}
  Credentials    ${path.relative(root, credentialsFile)}
  Cron           every minute via ${baseUrl}/__scheduled${lost}
`);

/**
 * The offline embedder unless the developer points dev at a real model, e.g. a local Ollama:
 * `EMBEDDING_PROVIDER=openai EMBEDDING_BASE_URL=http://127.0.0.1:11434/v1 EMBEDDING_MODEL=embeddinggemma npm run dev`.
 * Keys stay off the command line (--var shows in `ps`): put EMBEDDING_API_KEY / RERANK_API_KEY in `.dev.vars`.
 */
function modelSettingsFromEnv(): Record<string, string> {
  const names = [
    "EMBEDDING_PROVIDER",
    "EMBEDDING_MODEL",
    "EMBEDDING_BASE_URL",
    "RERANK_PROVIDER",
    "RERANK_URL",
    "RERANK_MODEL",
    "MODEL_TIMEOUT_MS",
    // WhatsApp media enrichment (services/media): e.g. TRANSCRIPTION_PROVIDER=openai TRANSCRIPTION_BASE_URL=…
    "TRANSCRIPTION_PROVIDER",
    "TRANSCRIPTION_MODEL",
    "TRANSCRIPTION_BASE_URL",
    "VISION_PROVIDER",
    "VISION_MODEL",
    "VISION_BASE_URL",
    "MEDIA_MAX_BYTES",
  ];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
}

/**
 * The reference agent service (scripts/agent-service), unless the developer points dev at their own, e.g. the Python
 * ADK: `AGENT_SERVICE_URL=http://127.0.0.1:8080 AGENT_SERVICE_PROTOCOL=connect npm run dev`. Replies come from an
 * OpenAI-compatible model when AGENT_LLM_URL and AGENT_LLM_MODEL are set (e.g. a local Ollama), else from the
 * deterministic responder. Locally the service runs without a token (it listens on 127.0.0.1 only): with
 * `[secrets] required` set, wrangler dev hands the Worker only those secrets — an AGENT_SERVICE_TOKEN in the
 * environment or in `.dev.vars` never reaches it (checked with wrangler 4.156) — and a --var would show it in `ps`.
 */
async function agentServiceFromEnv(): Promise<{
  settings: { url: string; protocol: string; model: string };
  service?: ReferenceAgentService;
}> {
  const protocol = process.env.AGENT_SERVICE_PROTOCOL || "grpc-web";
  if (process.env.AGENT_SERVICE_URL) return { settings: { url: process.env.AGENT_SERVICE_URL, protocol, model: "external" } };
  const service = await startAgentService({ port: agentServicePort, llm: llmFromEnv() });
  return { settings: { url: service.url, protocol, model: service.model }, service };
}

/** A dev stack killed with SIGKILL leaves wrangler running on the port; the next start clears it. */
function killStaleWrangler() {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(-pid, "SIGTERM");
  } catch {}
}
