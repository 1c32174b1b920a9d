import { createHmac, randomBytes } from "node:crypto";
import { createLogger } from "../../src/lib/logger";
import { createChannel } from "../../src/services/channels/create";
import { createServiceContext } from "../../src/services/context";
import { nodeDatabase } from "../local-db/node-driver";
import { serverTimingRoundTrips } from "./harness";
import type { BenchEnv } from "./index";

export interface WahaPostResult {
  ok: boolean;
  outcome?: string;
  messageId?: string;
  roundTrips?: number;
}

/** A WAHA channel of the bench tenant and a signed-webhook sender for it, as WAHA itself posts. */
export async function wahaChannel(env: BenchEnv, name: string) {
  const database = nodeDatabase(env.db.workerVars);
  const ctx = createServiceContext(
    database,
    { tenantId: env.tenant.tenantId, projectId: env.tenant.projectId, role: "admin", actor: { type: "system", id: "bench" } },
    createLogger({}, "warn"),
  );
  const channel = await createChannel(ctx, {
    name,
    wahaSession: `${name}-${randomBytes(3).toString("hex")}`,
    baseUrl: "http://127.0.0.1:9",
  });
  await database.close();
  const url = `${env.worker.url}/webhooks/waha/${channel.id}`;

  const post = async (payload: Record<string, unknown>): Promise<WahaPostResult> => {
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
    const body = (await res.json().catch(() => ({}))) as {
      outcome?: string;
      messageId?: string;
      error?: { code?: string; details?: { reason?: string } };
    };
    // A failed delivery is named by its status, error code and reason (WAHA would retry it).
    const outcome = res.ok ? body.outcome : ["HTTP", res.status, body.error?.code, body.error?.details?.reason].filter(Boolean).join(" ");
    return { ok: res.ok, outcome, messageId: body.messageId, roundTrips: serverTimingRoundTrips(res) };
  };

  /** A new inbound text message from sender number `sender` (a phone of its own), the `i`-th of the run. */
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

  return { channel, post, message };
}
