/**
 * `npm run check:agents` — the AI reply loop through real processes, as a customer meets it: the dev stack
 * (`scripts/dev.ts`: PGlite, the Neon proxies, the WAHA sandbox, the reference agent service, `wrangler dev`) on a
 * scratch data folder; a customer writes a burst of three messages on the WAHA sandbox, which posts signed webhooks
 * to the Worker → decision → the session's Durable Object waits out the quiet window → ExecuteAgentStream over
 * gRPC-Web to the agent service → its MCP tool calls back into the Worker with the execution's credential → the
 * reply goes to the WAHA sandbox → the sandbox's signed acks → the reply is `delivered`; the session's WebSocket
 * shows agent.typing, agent.partial, agent.response_generated and the message events. Exits non-zero on any gap.
 *
 * The vitest pool cannot host this test: the agent service (Node) cannot reach the workerd inside vitest over HTTP.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type WebSocketType from "ws";
import { waitForHealth } from "./local-worker";

const WebSocket = createRequire(import.meta.url)("ws") as typeof WebSocketType;

const port = Number(process.env.PORT ?? 8793);
const dataDir = mkdtempSync(path.join(tmpdir(), "ventros-agents-"));
const base = `http://127.0.0.1:${port}`;
const sandbox = `http://127.0.0.1:${port + 12}`;
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

const dev: ChildProcess = spawn("npx", ["tsx", "scripts/dev.ts"], {
  cwd: path.resolve(import.meta.dirname, ".."),
  env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" } as unknown as NodeJS.ProcessEnv,
  stdio: process.env.CHECK_VERBOSE ? "inherit" : "ignore",
  detached: true,
});
const stop = async () => {
  try {
    process.kill(-dev.pid!, "SIGINT");
  } catch {}
  await new Promise((r) => setTimeout(r, 3000));
  try {
    process.kill(-dev.pid!, "SIGKILL");
  } catch {}
  rmSync(dataDir, { recursive: true, force: true });
};

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

try {
  await waitForHealth(base, undefined, 120_000);
  const info = JSON.parse(readFileSync(path.join(dataDir, "dev.json"), "utf8")) as {
    apiKey: string;
    channel: { wahaSession: string };
    agentService: { url: string; protocol: string };
  };
  const headers = { authorization: `Bearer ${info.apiKey}`, "content-type": "application/json" };
  const api = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(`${base}/api/v1${p}`, { ...init, headers });
    const body = (await res.json().catch(() => null)) as any;
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  await api("/ai-settings", { method: "PATCH", body: JSON.stringify({ enabled: true, quietWindowMs: 2000, streaming: true }) });

  const from = `5511${String(Date.now()).slice(-9)}@c.us`;
  const say = async (body: string) => {
    const res = await fetch(`${sandbox}/__sandbox/inbound`, {
      method: "POST",
      body: JSON.stringify({ session: info.channel.wahaSession, from, body }),
    });
    const out = (await res.json()) as { delivered: number };
    check(out.delivered === 200, `signed webhook for "${body}" accepted (${out.delivered})`);
  };
  const webhookAt = Date.now();
  await say("oi");
  // The conversation exists now: watch its room from the first event (since=0 replays what came before).
  const session = await until(
    "the session",
    async () => (await api("/sessions?limit=1")).data[0],
    (s) => !!s,
  );
  const frames: { topic: string; payload: any }[] = [];
  const ws = new WebSocket(`${base.replace("http", "ws")}/api/v1/sessions/${session.id}/realtime?since=0&access_token=${info.apiKey}`);
  ws.on("message", (data) => {
    const frame = JSON.parse(String(data));
    if (frame.type === "event") frames.push({ topic: frame.topic, payload: frame.payload });
  });
  await say("tudo bem?");
  await say("quanto custa o plano?");

  const execution = await until(
    "the execution to finish",
    async () => (await api("/agent-executions?limit=5")).data,
    (d: any[]) => d.length > 0 && d.every((e) => e.status !== "running"),
    90_000,
  );
  check(execution.length === 1, `one execution for the burst (got ${execution.length})`);
  const run = execution[0];
  check(run.status === "succeeded", `execution succeeded (${run.status} ${run.errorCode ?? ""})`);
  check(run.messageIds?.length === 3, `the burst's three messages answered together (${run.messageIds?.length})`);
  const detail = await api(`/agent-executions/${run.id}`);
  const tools = detail.toolCalls.map((c: any) => `${c.name}:${c.status}`);
  check(
    detail.toolCalls.length > 0 && detail.toolCalls.every((c: any) => c.status === "ok"),
    `MCP tool calls back into the Worker: ${tools.join(", ")}`,
  );

  const calls = (await (await fetch(`${info.agentService.url}/__agent-service/calls?executionId=${run.id}`)).json()) as any[];
  check(
    calls.length === 1 && calls[0].method === "ExecuteAgentStream" && calls[0].protocol === "grpc-web" && calls[0].mcp,
    `agent service called once, ExecuteAgentStream over gRPC-Web with the CRM's MCP URL ` +
      `(${JSON.stringify(calls.map((c) => [c.method, c.protocol]))})`,
  );
  const reply = await until(
    "the reply to be delivered",
    async () => (await api(`/messages?sessionId=${session.id}&order=asc&limit=50`)).data.filter((m: any) => m.direction === "outbound"),
    (r: any[]) => r.length > 0 && r.every((m) => m.status === "delivered"),
  );
  check(reply.length === 1 && reply[0].id === run.id, `one reply, its id the execution id, delivered (${reply.map((m: any) => m.status)})`);
  const sent = (await (await fetch(`${sandbox}/__sandbox/sent?session=${info.channel.wahaSession}`)).json()) as any[];
  const mine = sent.filter((s) => s.chatId === from);
  check(mine.length === 1 && mine[0].body.text === reply[0].body, `WAHA received the reply once (${mine.length})`);
  const presence = (await (await fetch(`${sandbox}/__sandbox/presence?session=${info.channel.wahaSession}`)).json()) as any[];
  check(
    presence
      .filter((p) => p.chatId === from)
      .map((p) => p.action)
      .join(",") === "startTyping,stopTyping",
    "WhatsApp showed typing while the agent worked",
  );
  const expected = ["message.created", "agent.typing", "agent.partial", "agent.response_generated", "message.sent", "message.delivered"];
  // message.sent comes through the queue, message.delivered straight from the ack webhook: either may be last.
  await until(
    "the session's events",
    async () => frames,
    (f) => expected.every((t) => f.some((x) => x.topic === t)),
    20_000,
  ).catch(() => frames);
  const topics = new Set(frames.map((f) => f.topic));
  for (const topic of expected) {
    check(topics.has(topic), `session WebSocket showed ${topic}`);
  }
  ws.close();
  const sentAt = mine[0]?.at as number | undefined;
  if (sentAt) {
    console.log(
      `timing: first webhook → WAHA send ${sentAt - webhookAt} ms; agent ${run.agentMs} ms; quiet window 2000 ms; ` +
        `execution overhead (last message → reply written, minus agent and quiet window) ${run.overheadMs} ms`,
    );
  }
} catch (err) {
  failures.push(String((err as Error).message ?? err));
  console.error(err);
} finally {
  await stop();
}
if (failures.length) {
  console.error(`check:agents FAILED (${failures.length}): ${failures.join("; ")}`);
  process.exit(1);
}
console.log("check:agents ok: WhatsApp → CRM → agent service → MCP → WhatsApp, delivered, live on the session's WebSocket");
process.exit(0);
