import pg from "pg";
import { measure, printTable, type SuiteReport } from "./harness";
import type { BenchEnv } from "./index";
import { wahaChannel } from "./waha";

/**
 * Issue #4: WAHA webhook → commit. Each request is answered only after the message is committed, so its latency is
 * webhook-to-commit. 50 concurrent senders, 5 % of deliveries are duplicates (WAHA retries / message.any).
 * Read against the single-row insert floor at the same concurrency.
 */
export async function benchWebhooks(env: BenchEnv): Promise<SuiteReport> {
  const { channel, post, message } = await wahaChannel(env, "bench");
  /** Every message id sent, and whether some delivery of it was acknowledged (200): then it must be stored. */
  const acknowledged = new Map<string, boolean>();
  const outcomes = new Map<string, number>();
  const send = async (payload: { id: string }) => {
    const r = await post(payload).catch((err: Error) => ({ ok: false, outcome: `failed: ${err.message}` }));
    acknowledged.set(payload.id, acknowledged.get(payload.id) === true || r.ok);
    outcomes.set(r.outcome ?? "no outcome", (outcomes.get(r.outcome ?? "no outcome") ?? 0) + 1);
    return r;
  };

  // Warm the channel cache and the isolate.
  for (let i = 0; i < 5; i++) await send(message(999_000 + i, i));

  const sequential = await measure(
    "webhook → commit, 1 sender",
    { requests: 200, concurrency: 1, proxy: env.db.proxy, warmup: 0, floor: "insert" },
    async (i) => send(message(1_000 + (i % 20), i)),
  );

  const sent: { id: string }[] = [];
  const concurrent = await measure(
    "webhook → commit, 50 senders, 5 % duplicates",
    { requests: 600, concurrency: 50, proxy: env.db.proxy, warmup: 0, floor: "insert" },
    async (i) => {
      const duplicate = i % 20 === 19 && sent.length > 0;
      const payload = duplicate ? sent[Math.floor(Math.random() * sent.length)]! : message(10_000 + (i % 50), i);
      if (!duplicate) sent.push(payload);
      return send(payload);
    },
  );

  const client = new pg.Client({ connectionString: env.db.postgresUrl });
  await client.connect();
  const { rows } = await client.query<{ id: string; n: number }>(
    "select channel_message_id as id, count(*)::int as n from messages where channel_id = $1 group by 1",
    [channel.id],
  );
  await client.end();
  const stored = new Map(rows.map((r) => [r.id, r.n]));
  const acked = [...acknowledged].filter(([, ok]) => ok).map(([id]) => id);
  const title = `WAHA webhook → commit (${env.db.backend})`;
  printTable(title, [sequential, concurrent]);
  const check = {
    "unique messages sent": acknowledged.size,
    "rows stored": rows.reduce((a, r) => a + r.n, 0),
    // Acknowledged (200) but not stored. A delivery answered with an error is WAHA's to retry: see outcomes.
    lost: acked.filter((id) => !stored.has(id)).length,
    duplicated: rows.reduce((a, r) => a + r.n - 1, 0),
    "never acknowledged (WAHA retries)": acknowledged.size - acked.length,
    outcomes: JSON.stringify(Object.fromEntries(outcomes)),
  };
  console.table([check]);
  return { suite: "webhooks", title, results: [sequential, concurrent], checks: [check] };
}
