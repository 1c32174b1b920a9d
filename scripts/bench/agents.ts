import pg from "pg";
import { startWahaSandbox } from "../waha-sandbox/server";
import { percentiles, printTable, type Result, type SuiteReport } from "./harness";
import type { BenchEnv } from "./index";
import { wahaChannel } from "./waha";

const MESSAGES = Number(process.env.BENCH_AGENTS_MESSAGES ?? 40);
const QUIET_WINDOW_MS = 300;
/** Issue #13's target for the orchestration overhead of one conversation. */
const TARGET_P95_MS = 150;

/**
 * Issue #13: the AI reply loop's own cost. Each sample is one customer message on a new conversation: signed WAHA
 * webhook posted → the Worker decides, the session's Durable Object waits out the quiet window, calls the reference
 * agent service (gRPC-Web; its deterministic responder, tools over MCP back into the Worker), writes the reply and
 * sends it → the WAHA sandbox receives sendText. Overhead = that time minus the quiet window minus the agent's own
 * reported time (execution_time_ms): what the CRM adds. Database round trips are counted at the proxy over the run
 * (everything: webhook, decision, execution rows, the agent's MCP tool calls, the reply, its delivery) per message.
 */
export async function benchAgents(env: BenchEnv): Promise<SuiteReport> {
  const waha = await startWahaSandbox();
  const client = new pg.Client({ connectionString: env.db.postgresUrl });
  await client.connect();
  try {
    const { channel, post, message } = await wahaChannel(env, "agents");
    await client.query("update channels set base_url = $1 where id = $2", [waha.url, channel.id]);
    waha.configure({ name: channel.wahaSession });
    const res = await fetch(`${env.worker.url}/api/v1/ai-settings`, {
      method: "PATCH",
      headers: { authorization: `Bearer ${env.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ enabled: true, quietWindowMs: QUIET_WINDOW_MS, streaming: false }),
    });
    if (!res.ok) throw new Error(`ai settings: ${res.status} ${await res.text()}`);

    const results: Result[] = [];
    const checks: Record<string, unknown>[] = [];
    for (const concurrency of [1, 5]) {
      const overheads: number[] = [];
      const totals: number[] = [];
      const agentTimes: number[] = [];
      let errors = 0;
      let next = 0;
      env.db.proxy.reset();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < MESSAGES) {
            const i = next++;
            const sender = concurrency * 100_000 + i;
            const payload = message(sender, i);
            const chatId = payload.from as string;
            const t0 = Date.now();
            const posted = await post(payload);
            if (!posted.ok || !posted.messageId) {
              errors++;
              continue;
            }
            const deadline = Date.now() + 30_000;
            let sentAt: number | undefined;
            while (Date.now() < deadline && sentAt === undefined) {
              sentAt = waha.sent.find((s) => s.chatId === chatId)?.at;
              if (sentAt === undefined) await new Promise((r) => setTimeout(r, 10));
            }
            const { rows } = await client.query<{ agent_ms: number | null }>(
              "select agent_ms from agent_executions where kind = 'execution' and message_ids @> $1::jsonb",
              [JSON.stringify([posted.messageId])],
            );
            if (sentAt === undefined || rows[0]?.agent_ms == null) {
              errors++;
              continue;
            }
            totals.push(sentAt - t0);
            agentTimes.push(rows[0].agent_ms);
            overheads.push(sentAt - t0 - QUIET_WINDOW_MS - rows[0].agent_ms);
          }
        }),
      );
      const elapsed = (performance.now() - started) / 1000;
      const done = overheads.length;
      results.push({
        name: `AI reply overhead: webhook → WAHA send − quiet window − agent time, ${concurrency} conversation(s) at once`,
        requests: done,
        concurrency,
        ...percentiles(overheads),
        rps: done / elapsed,
        roundTripsPerRequest: env.db.proxy.stats().roundTrips / Math.max(1, done),
        errors,
        extra: {
          total: percentiles(totals),
          agentMs: percentiles(agentTimes),
          quietWindowMs: QUIET_WINDOW_MS,
          ...(concurrency === 1 ? { targetP95Ms: TARGET_P95_MS } : {}),
        },
      });
      // The target (issue #13) is the overhead one conversation sees. Five at once measure saturation: locally one
      // workerd thread runs the Worker, every session's Durable Object and the agent's MCP tool calls, on the same
      // cores as Postgres, the agent service and this script — the overhead there is mostly waiting for that thread.
      checks.push({
        concurrency,
        answered: done,
        errors,
        overheadP95Ms: percentiles(overheads).p95,
        ...(concurrency === 1 ? { targetP95Ms: TARGET_P95_MS, met: percentiles(overheads).p95 <= TARGET_P95_MS } : {}),
      });
    }
    printTable("AI agents: orchestration overhead (ms) and database round trips per handled message", results);
    for (const r of results) {
      console.log(
        `  ${r.concurrency} at once: total ${JSON.stringify((r.extra as any).total)}, agent ${JSON.stringify((r.extra as any).agentMs)}`,
      );
    }
    return { suite: "agents", title: "AI reply loop: orchestration overhead", results, checks };
  } finally {
    await client.end();
    await waha.close();
  }
}
