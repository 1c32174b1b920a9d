import { createHmac, randomBytes } from "node:crypto";
import pg from "pg";
import { createLogger } from "../../src/lib/logger";
import { createChannel } from "../../src/services/channels/create";
import { createServiceContext } from "../../src/services/context";
import { nodeDatabase } from "../local-db/node-driver";
import { measure, printTable, serverTimingRoundTrips } from "./harness";
import type { BenchEnv } from "./index";

/**
 * Issue #4: WAHA webhook → commit. Each request is answered only after the message is committed, so its latency is
 * webhook-to-commit. 50 concurrent senders, 5 % of deliveries are duplicates (WAHA retries / message.any).
 */
export async function benchWebhooks(env: BenchEnv) {
  const database = nodeDatabase(env.db.workerVars);
  const ctx = createServiceContext(
    database,
    { tenantId: env.tenant.tenantId, projectId: env.tenant.projectId, role: "admin", actor: { type: "system", id: "bench" } },
    createLogger({}, "warn"),
  );
  const channel = await createChannel(ctx, {
    name: "bench",
    wahaSession: `bench-${randomBytes(3).toString("hex")}`,
    baseUrl: "http://127.0.0.1:9",
  });
  await database.close();
  const url = `${env.worker.url}/webhooks/waha/${channel.id}`;

  const post = async (payload: Record<string, unknown>) => {
    const raw = JSON.stringify({
      id: `evt_${randomBytes(12).toString("hex")}`,
      timestamp: Date.now(),
      event: "message",
      session: channel.wahaSession,
      me: { id: "5511900000000@c.us" },
      payload,
      engine: "WEBJS",
    });
    const res = await fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "X-Webhook-Hmac": createHmac("sha512", channel.webhookSecret!).update(raw).digest("hex"),
        "X-Webhook-Hmac-Algorithm": "sha512",
      },
      body: raw,
    });
    const body = (await res.json()) as { outcome?: string };
    return { ok: res.ok, outcome: body.outcome, roundTrips: serverTimingRoundTrips(res) };
  };
  const message = (sender: number, i: number) => {
    const from = `5521${String(sender).padStart(9, "0")}@c.us`;
    return {
      id: `false_${from}_${sender}x${i}`,
      timestamp: Math.floor(Date.now() / 1000),
      from,
      fromMe: false,
      source: "app",
      body: `mensagem ${i}`,
      hasMedia: false,
      _data: { notifyName: `Sender ${sender}` },
    };
  };

  // Warm the channel cache and the isolate.
  for (let i = 0; i < 5; i++) await post(message(999_000 + i, i));

  const sequential = await measure("1 sender, new messages", { requests: 300, concurrency: 1, proxy: env.db.proxy, warmup: 0 }, async (i) =>
    post(message(1_000 + (i % 20), i)),
  );

  const total = 1000;
  const sent: Record<string, unknown>[] = [];
  const outcomes = new Map<string, number>();
  const concurrent = await measure(
    "50 senders, 5 % duplicates",
    { requests: total, concurrency: 50, proxy: env.db.proxy, warmup: 0 },
    async (i) => {
      const duplicate = i % 20 === 19 && sent.length > 0;
      const payload = duplicate ? sent[Math.floor(Math.random() * sent.length)]! : message(10_000 + (i % 50), i);
      if (!duplicate) sent.push(payload);
      const r = await post(payload);
      outcomes.set(r.outcome ?? "error", (outcomes.get(r.outcome ?? "error") ?? 0) + 1);
      return r;
    },
  );

  const client = new pg.Client({ connectionString: env.db.postgresUrl });
  await client.connect();
  const { rows } = await client.query<{ rows: number; distinct_ids: number }>(
    `select count(*)::int as rows, count(distinct channel_message_id)::int as distinct_ids from messages where channel_id = $1
      and body like 'mensagem %'`,
    [channel.id],
  );
  await client.end();
  const unique = new Set(sent.map((p) => p.id)).size + 300 + 5;
  printTable(`WAHA webhook → commit (${env.db.backend})`, [sequential, concurrent]);
  console.table([
    {
      "unique messages sent": unique,
      "rows stored": rows[0]!.rows,
      lost: unique - rows[0]!.distinct_ids,
      duplicated: rows[0]!.rows - rows[0]!.distinct_ids,
      outcomes: JSON.stringify(Object.fromEntries(outcomes)),
    },
  ]);
}
