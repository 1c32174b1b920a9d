import pg from "pg";
import { createLogger } from "../../src/lib/logger";
import { createChannel } from "../../src/services/channels/create";
import { createServiceContext } from "../../src/services/context";
import { nodeDatabase } from "../local-db/node-driver";
import { startWahaSandbox } from "../waha-sandbox/server";
import { measure, printTable, type SuiteReport } from "./harness";
import type { BenchEnv } from "./index";

const MESSAGES = Number(process.env.BENCH_DELIVER_MESSAGES ?? 500);
/** How long the queue (with its retry backoff) gets to settle every message. */
const SETTLE_SECONDS = Number(process.env.BENCH_DELIVER_SETTLE_SECONDS ?? 300);

/**
 * Issue #10: outbound exactly once under faults. 500 messages are sent through the API while the WAHA sandbox loses
 * 10 % of its answers (the message is sent, the answer never comes: the client times out) and drops 5 % of the
 * connections (half after sending, half before). Once the queue settles, every message must have reached the
 * sandbox exactly once — or be visibly `failed` with a reason — and none may be left `queued`.
 */
export async function benchDeliver(env: BenchEnv): Promise<SuiteReport> {
  const waha = await startWahaSandbox();
  try {
    const database = nodeDatabase(env.db.workerVars);
    const ctx = createServiceContext(
      database,
      { tenantId: env.tenant.tenantId, projectId: env.tenant.projectId, role: "admin", actor: { type: "system", id: "bench" } },
      createLogger({}, "warn"),
    );
    const session = `deliver-${Date.now().toString(36)}`;
    const channel = await createChannel(ctx, { name: "deliver", wahaSession: session, baseUrl: waha.url });
    await database.close();
    waha.configure({ name: session, faultRates: { "accept-hang": 0.1, "accept-drop": 0.025, refuse: 0.025 } });

    const call = async (path: string, body: unknown) => {
      const res = await fetch(`${env.worker.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { ok: res.ok, body: (await res.json().catch(() => ({}))) as { id?: string } };
    };
    const contact = await call("/api/v1/contacts", { name: "Deliver bench", phone: "+55 11 95555-0000" });
    const texts = new Map<string, string>();
    const result = await measure(
      "send → queued (WAHA loses 10 % of answers, drops 5 % of connections)",
      { requests: MESSAGES, concurrency: 20, proxy: env.db.proxy, warmup: 0, floor: "insert", maxSeconds: 600 },
      async (i) => {
        const text = `bench exactly-once #${i}`;
        const r = await call("/api/v1/messages", { contactId: contact.body.id, channelId: channel.id, text });
        if (r.ok && r.body.id) texts.set(r.body.id, text);
        return r.ok;
      },
    );

    const client = new pg.Client({ connectionString: env.db.postgresUrl });
    await client.connect();
    const statuses = async () =>
      (
        await client.query<{ id: string; status: string; error: string | null }>(
          "select id, status::text, error from messages where channel_id = $1 and direction = 'outbound'",
          [channel.id],
        )
      ).rows;
    const deadline = Date.now() + SETTLE_SECONDS * 1000;
    let rows = await statuses();
    while (rows.some((r) => r.status === "queued") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 2_000));
      rows = await statuses();
    }
    await client.end();

    const copies = new Map<string, number>();
    for (const s of waha.sent.filter((m) => m.session === session)) {
      const text = String(s.body.text ?? "");
      copies.set(text, (copies.get(text) ?? 0) + 1);
    }
    const count = (n: (c: number) => boolean) => [...texts.values()].filter((t) => n(copies.get(t) ?? 0)).length;
    const byStatus = (s: string) => rows.filter((r) => r.status === s).length;
    const check = {
      messages: texts.size,
      "delivered once": count((c) => c === 1),
      "delivered twice or more": count((c) => c > 1),
      "not delivered": count((c) => c === 0),
      "stuck queued": byStatus("queued"),
      sent: byStatus("sent") + byStatus("delivered") + byStatus("read"),
      "failed (delivery unknown)": rows.filter((r) => r.status === "failed" && r.error?.startsWith("delivery unknown")).length,
      "failed (other)": rows.filter((r) => r.status === "failed" && !r.error?.startsWith("delivery unknown")).length,
      "sent but answer lost (injected)": waha.sent.filter((m) => m.session === session && m.fault).length,
    };
    const title = "Outbound exactly once under WAHA faults";
    printTable(title, [result]);
    console.table([check]);
    return { suite: "deliver", title, results: [result], checks: [check] };
  } finally {
    await waha.close();
  }
}
