/**
 * The reference agent service for laptops and tests: the AgentService of proto/ventros/agent/agent.proto over
 * gRPC, gRPC-Web and Connect — one connectNodeAdapter on one port (HTTP/1.1 and cleartext HTTP/2), running the integration guide's
 * CustomerService chain against the CRM's MCP tools. The production agent is the Python ADK, built from the same proto.
 *
 * Test controls, like the WAHA sandbox's (no token needed; the server listens on 127.0.0.1 only):
 *  - `POST /__agent-service/faults` `{executionId, fault}`: how that execution behaves (see faults.ts);
 *  - `GET /__agent-service/calls?executionId=`: the RPCs received, to see what a client sent — and did not.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { readBody } from "../read-body";
import { type Composer, deterministicComposer } from "./compose";
import { Executions } from "./executions";
import { type AgentFault, parseFault } from "./faults";
import { type LlmSettings, llmComposer } from "./llm";
import { type AnyRequest, type AnyResponse, listenOnePort } from "./one-port";
import { agentServiceRoutes, type ReceivedCall } from "./service";

export interface AgentServiceOptions {
  port?: number;
  /** The bearer token every RPC must carry (none: any caller is served). */
  token?: string;
  /** An OpenAI-compatible model composes replies; without it, the deterministic responder does. */
  llm?: LlmSettings;
}

export interface ReferenceAgentService {
  url: string;
  port: number;
  token?: string;
  /** The id of what composes replies (the responses' metadata["model"]). */
  model: string;
  calls: ReceivedCall[];
  fault(executionId: string, fault: AgentFault): void;
  close(): Promise<void>;
}

const CONTROL = "/__agent-service";

export async function startAgentService(opts: AgentServiceOptions = {}): Promise<ReferenceAgentService> {
  const composer: Composer = opts.llm ? llmComposer(opts.llm) : deterministicComposer;
  const state = { executions: new Executions(), faults: new Map<string, AgentFault>(), calls: [] as ReceivedCall[], composer };
  const rpc = connectNodeAdapter({
    routes: agentServiceRoutes(state),
    // Checked from the headers, before any request body is read.
    requestGate: (ctx) => {
      if (opts.token && !bearerMatches(ctx.requestHeader.get("authorization"), opts.token)) {
        throw new ConnectError("a valid bearer token is required", Code.Unauthenticated);
      }
    },
  });

  const { server, sockets } = listenOnePort((req, res) => {
    if (req.url?.startsWith(CONTROL)) {
      control(req, res).catch((err) => json(res, 500, { error: String(err?.message ?? err) }));
      return;
    }
    rpc(req, res);
  });

  async function control(req: AnyRequest, res: AnyResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "POST" && url.pathname === `${CONTROL}/faults`) {
      const body = parse(await readBody(req as IncomingMessage)) as { executionId?: unknown; fault?: unknown } | undefined;
      const fault = parseFault(body?.fault);
      if (typeof body?.executionId !== "string" || !body.executionId) return json(res, 400, { error: "executionId is required" });
      if (typeof fault === "string") return json(res, 400, { error: fault });
      service.fault(body.executionId, fault);
      return json(res, 200, { executionId: body.executionId, fault });
    }
    if (req.method === "GET" && url.pathname === `${CONTROL}/calls`) {
      const id = url.searchParams.get("executionId");
      return json(res, 200, id ? state.calls.filter((c) => c.executionId === id) : state.calls);
    }
    return json(res, 404, { error: `no control route ${req.method} ${url.pathname}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;
  const service: ReferenceAgentService = {
    url: `http://127.0.0.1:${port}`,
    port,
    token: opts.token,
    model: composer.model,
    calls: state.calls,
    fault(executionId, fault) {
      state.faults.set(executionId, fault);
    },
    async close() {
      state.executions.abortAll("the agent service is closing");
      // Open streams and idle keep-alive connections would otherwise hold close() forever.
      for (const socket of sockets) socket.destroy();
      await new Promise((r) => server.close(r));
    },
  };
  return service;
}

function bearerMatches(header: string | null, token: string): boolean {
  const given = Buffer.from(header ?? "");
  const wanted = Buffer.from(`Bearer ${token}`);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function parse(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

function json(res: AnyResponse, status: number, body: unknown) {
  res.statusCode = status;
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(body));
}

/** The model settings of `npm run dev` and of a standalone run (AGENT_LLM_URL, AGENT_LLM_MODEL, AGENT_LLM_KEY). */
export function llmFromEnv(env: NodeJS.ProcessEnv = process.env): LlmSettings | undefined {
  if (!env.AGENT_LLM_URL) return undefined;
  if (!env.AGENT_LLM_MODEL) throw new Error("AGENT_LLM_URL is set but AGENT_LLM_MODEL is not");
  return { url: env.AGENT_LLM_URL, model: env.AGENT_LLM_MODEL, apiKey: env.AGENT_LLM_KEY || undefined };
}

// `tsx scripts/agent-service/server.ts` runs it on its own (AGENT_SERVICE_PORT, AGENT_SERVICE_TOKEN, AGENT_LLM_*).
if (import.meta.url === `file://${process.argv[1]}`) {
  const service = await startAgentService({
    port: Number(process.env.AGENT_SERVICE_PORT ?? 0) || undefined,
    token: process.env.AGENT_SERVICE_TOKEN || undefined,
    llm: llmFromEnv(),
  });
  console.log(`reference agent service (${service.model}) at ${service.url}: gRPC, gRPC-Web and Connect`);
}
