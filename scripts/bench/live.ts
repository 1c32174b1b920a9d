import { createRequire } from "node:module";
import type WebSocketType from "ws";
import { MAX_SECONDS, percentiles, type Result, type SuiteReport } from "./harness";
import type { BenchEnv } from "./index";
import { wahaChannel } from "./waha";

// The Node build of ws (the ESM entry can resolve to the browser stub under some loaders).
const WebSocket = createRequire(import.meta.url)("ws") as typeof WebSocketType;

/** WebSocket clients subscribed to the project feed. */
export const LISTENERS = 50;
/** What the push right after commit must achieve: webhook POST → frame at every listener. */
export const TARGET_P95_MS = 100;
/** A frame not seen this long after its POST counts as missing (the queue's batch window is 1 s). */
const FRAME_TIMEOUT_MS = 10_000;

/**
 * Live updates: LISTENERS clients on `GET /api/v1/realtime?access_token=…` (the project feed), new inbound messages
 * posted as WAHA webhooks; each sample is one listener's POST-sent → `message.created` frame received time. Senders
 * wait for every listener's frame before sending again (closed loop). Read against the insert floor.
 */
export async function benchLive(env: BenchEnv): Promise<SuiteReport> {
  const { post, message } = await wahaChannel(env, "live");
  const received = new Map<string, number[]>();
  const waiters = new Map<string, () => void>();
  let closedEarly = 0;
  let running = true;

  const onFrame = (data: WebSocketType.RawData) => {
    const at = performance.now();
    const frame = JSON.parse(String(data)) as { type?: string; topic?: string; payload?: { messageId?: string } };
    const id = frame.type === "event" && frame.topic === "message.created" ? frame.payload?.messageId : undefined;
    if (!id) return;
    const times = received.get(id) ?? [];
    times.push(at);
    received.set(id, times);
    if (times.length >= LISTENERS) waiters.get(id)?.();
  };
  const url = `${env.worker.url.replace(/^http/, "ws")}/api/v1/realtime?access_token=${encodeURIComponent(env.apiKey)}`;
  const connect = () =>
    new Promise<WebSocketType>((resolve, reject) => {
      const ws = new WebSocket(url);
      const timer = setTimeout(() => reject(new Error("no hello frame within 15 s")), 15_000);
      ws.on("message", (data) => {
        if (String(data).includes('"type":"hello"')) {
          clearTimeout(timer);
          resolve(ws);
        } else onFrame(data);
      });
      ws.on("unexpected-response", (_req, res) => reject(new Error(`realtime upgrade refused: ${res.statusCode}`)));
      ws.on("error", reject);
      ws.on("close", () => {
        if (running) closedEarly++;
      });
    });
  const sockets: WebSocketType[] = [];
  // A few at a time: 50 simultaneous upgrades mostly measure the API key lookup queueing on the database.
  for (let i = 0; i < LISTENERS; i += 10)
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(10, LISTENERS - i) }, connect))));

  /** Resolves once every listener has the message's frame, or after the timeout. */
  const allFrames = (id: string) =>
    new Promise<void>((resolve) => {
      if ((received.get(id)?.length ?? 0) >= LISTENERS) return resolve();
      const timer = setTimeout(done, FRAME_TIMEOUT_MS);
      function done() {
        clearTimeout(timer);
        waiters.delete(id);
        resolve();
      }
      waiters.set(id, done);
    });

  let base = 50_000;
  const run = async (name: string, senders: number, messages: number): Promise<Result> => {
    const from = base;
    base += 1_000;
    const samples: number[] = [];
    const firsts: number[] = [];
    const lasts: number[] = [];
    const posts: number[] = [];
    const sincePostAnswered: number[] = [];
    const pathRoundTrips: number[] = [];
    let missing = 0;
    let errors = 0;
    let next = 0;
    env.db.proxy.reset();
    const started = performance.now();
    // Time-capped like every other scenario (harness.ts), once half the messages are through.
    const deadline = started + MAX_SECONDS * 1000;
    await Promise.all(
      Array.from({ length: senders }, async (_, s) => {
        while (next < messages && (next < messages / 2 || performance.now() < deadline)) {
          const i = next++;
          const t0 = performance.now();
          // Each sender its own contacts (and so sessions), rotating over 5 of them.
          const r = await post(message(from + s * 10 + (i % 5), i)).catch(() => undefined);
          const answered = performance.now();
          posts.push(answered - t0);
          if (r?.roundTrips !== undefined) pathRoundTrips.push(r.roundTrips);
          if (!r?.ok || r.outcome !== "created" || !r.messageId) {
            errors++;
            continue;
          }
          await allFrames(r.messageId);
          const times = received.get(r.messageId) ?? [];
          received.delete(r.messageId);
          missing += LISTENERS - times.length;
          if (!times.length) continue;
          for (const t of times) samples.push(t - t0);
          firsts.push(Math.min(...times) - t0);
          sincePostAnswered.push(Math.min(...times) - answered);
          lasts.push(Math.max(...times) - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    const all = percentiles(samples);
    const sent = posts.length;
    return {
      name,
      requests: sent,
      concurrency: senders,
      ...all,
      rps: sent / elapsed,
      roundTripsPerRequest: env.db.proxy.stats().roundTrips / sent,
      requestPathRoundTrips: pathRoundTrips.length ? pathRoundTrips.reduce((a, b) => a + b, 0) / pathRoundTrips.length : undefined,
      errors,
      floor: "insert",
      extra: {
        listeners: LISTENERS,
        framesExpected: (sent - errors) * LISTENERS,
        framesReceived: samples.length,
        framesMissing: missing,
        targetP95Ms: TARGET_P95_MS,
        meetsTarget: missing === 0 && all.p95 <= TARGET_P95_MS,
        "POST → 200 (commit)": percentiles(posts),
        "POST → first listener's frame": percentiles(firsts),
        "200 received → first listener's frame": percentiles(sincePostAnswered),
        "POST → last listener's frame": percentiles(lasts),
      },
    };
  };

  try {
    await run("warm-up", 1, 5);
    const results = [
      await run(`live: webhook POST → frame, ${LISTENERS} listeners, 1 sender`, 1, 100),
      await run(`live: webhook POST → frame, ${LISTENERS} listeners, 10 senders`, 10, 150),
    ];
    const title = `Live updates — ${LISTENERS} WebSocket clients on the project feed, new inbound messages (${env.db.backend})`;
    console.log(`\n${title}`);
    console.table(
      results.map((r) => {
        const x = r.extra as Record<string, { p50: number; p95: number }>;
        return {
          scenario: r.name,
          messages: r.requests,
          senders: r.concurrency,
          "POST→frame p50": r.p50.toFixed(1),
          p95: r.p95.toFixed(1),
          p99: r.p99.toFixed(1),
          "POST→200 p50": x["POST → 200 (commit)"]!.p50.toFixed(1),
          "last listener p95": x["POST → last listener's frame"]!.p95.toFixed(1),
          "msg/s": r.rps.toFixed(0),
          "frames missing": r.extra!.framesMissing,
          [`p95 ≤ ${TARGET_P95_MS} ms`]: r.extra!.meetsTarget ? "yes" : "NO",
        };
      }),
    );
    const check = { listeners: LISTENERS, "sockets closed during the run": closedEarly };
    return { suite: "live", title, results, checks: [check] };
  } finally {
    running = false;
    await Promise.all(
      sockets.map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 2_000);
            ws.once("close", () => {
              clearTimeout(timer);
              resolve();
            });
            ws.close(1000);
          }),
      ),
    );
  }
}
