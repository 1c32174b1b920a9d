import { createHmac, randomBytes } from "node:crypto";
import { createLogger } from "../../src/lib/logger";
import { createChannel } from "../../src/services/channels/create";
import { createContact } from "../../src/services/contacts/create";
import { createServiceContext } from "../../src/services/context";
import { nodeDatabase } from "../local-db/node-driver";
import { measure, printTable, type SuiteReport, serverTimingRoundTrips } from "./harness";
import type { BenchEnv } from "./index";

/**
 * Issue #5: tool-call latency and database round trips for get_contact and get_messages(limit 50), both surfaces.
 * Read against the trivial-query floor (`select 1`) at the same concurrency.
 */
export async function benchMcp(env: BenchEnv): Promise<SuiteReport> {
  const database = nodeDatabase(env.db.workerVars);
  const ctx = createServiceContext(
    database,
    { tenantId: env.tenant.tenantId, projectId: env.tenant.projectId, role: "admin", actor: { type: "system", id: "bench" } },
    createLogger({}, "warn"),
  );
  const contact = await createContact(ctx, { name: "MCP bench", phone: "+55 11 97777-0000", customFields: {}, identifiers: [] });
  const channel = await createChannel(ctx, {
    name: "mcp",
    wahaSession: `mcp-${randomBytes(3).toString("hex")}`,
    baseUrl: "http://127.0.0.1:9",
  });
  await database.close();
  // 60 messages in one session, through the webhook like real traffic.
  let sessionId = "";
  for (let i = 0; i < 60; i++) {
    const raw = JSON.stringify({
      id: `evt_${randomBytes(10).toString("hex")}`,
      timestamp: Date.now(),
      event: "message",
      session: channel.wahaSession,
      payload: {
        id: `false_5511977770000@c.us_M${i}`,
        timestamp: Math.floor(Date.now() / 1000),
        from: "5511977770000@c.us",
        fromMe: false,
        body: `msg ${i}`,
        hasMedia: false,
      },
    });
    const res = await fetch(`${env.worker.url}/webhooks/waha/${channel.id}`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "X-Webhook-Hmac": createHmac("sha512", channel.webhookSecret!).update(raw).digest("hex"),
      },
      body: raw,
    });
    sessionId = ((await res.json()) as { sessionId: string }).sessionId ?? sessionId;
  }
  const headers = { authorization: `Bearer ${env.apiKey}`, "content-type": "application/json" };
  const execute = (tool_name: string, args: Record<string, unknown>) => async () => {
    const res = await fetch(`${env.worker.url}/v1/mcp/execute`, {
      method: "POST",
      headers,
      body: JSON.stringify({ tool_name, arguments: args }),
    });
    await res.arrayBuffer();
    return { ok: res.ok, roundTrips: serverTimingRoundTrips(res) };
  };
  let id = 0;
  const mcp = (name: string, args: Record<string, unknown>) => async () => {
    const res = await fetch(`${env.worker.url}/mcp`, {
      method: "POST",
      headers: { ...headers, accept: "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++id, method: "tools/call", params: { name, arguments: args } }),
    });
    const body = (await res.json()) as { result?: { isError?: boolean } };
    return { ok: res.ok && !body.result?.isError, roundTrips: serverTimingRoundTrips(res) };
  };
  const opts = { requests: 200, concurrency: 1, proxy: env.db.proxy, floor: "select" as const };
  const results = [
    await measure("MCP: execute get_contact", opts, execute("get_contact", { contact_id: contact.id })),
    await measure("MCP: execute get_messages (limit 50)", opts, execute("get_messages", { session_id: sessionId, limit: 50 })),
    await measure("MCP: /mcp tools/call get_contact", opts, mcp("get_contact", { contact_id: contact.id })),
    await measure("MCP: /mcp tools/call get_messages (limit 50)", opts, mcp("get_messages", { session_id: sessionId, limit: 50 })),
  ];
  const title = `MCP tool calls (${env.db.backend}); incl. async = + the agent_executions record`;
  printTable(title, results);
  return { suite: "mcp", title, results };
}
