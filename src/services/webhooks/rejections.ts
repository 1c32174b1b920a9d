import { type Database, schema } from "../../db";

/**
 * A verified webhook answers in one of two ways, because the peer (WAHA, Stripe) retries anything but a 2xx:
 *  - **rejected** — the event can never be processed (malformed, out of range, unstorable): it is recorded in
 *    `processed_webhook_events` with outcome `rejected` and its reason, and acknowledged with 200, so the peer
 *    stops retrying and a later retry of it is recognised at once;
 *  - **failed** — anything else (database unreachable, timeouts, a bug): the error propagates and the answer is a
 *    5xx, so the peer retries and nothing was recorded, i.e. the retry is processed normally.
 * Validation at the edge (integrations/*\/payloads.ts) rejects most bad input before any write; the database
 * errors below are the backstop for input that is only found unstorable by the database itself.
 */
export interface Rejection {
  outcome: "rejected";
  reason: string;
}

/**
 * SQLSTATEs that mean "this input can never be stored", whatever the retry: class 22 (data exception: invalid
 * text, NUL bytes, out-of-range numbers or timestamps), NOT NULL and CHECK violations, program limits (an index
 * row too large). Unique and foreign-key violations are not here: they depend on concurrent state.
 */
export function permanentDataError(err: unknown): string | undefined {
  const source = (err as { cause?: unknown })?.cause ?? err;
  const code = (source as { code?: unknown })?.code ?? (err as { code?: unknown })?.code;
  if (typeof code !== "string") return undefined;
  if (code.startsWith("22") || code === "23502" || code === "23514" || code.startsWith("54")) {
    const message = String((source as { message?: unknown }).message ?? "");
    return `the database refused a value (SQLSTATE ${code}${message ? `: ${message}` : ""})`;
  }
  return undefined;
}

/**
 * Records a rejected delivery under its dedupe key (first rejection wins; a key already recorded, processed or
 * rejected, is left as it is). The reason is cleaned so that it is storable itself.
 */
export async function recordRejection(
  db: Database,
  delivery: { source: "waha" | "stripe"; dedupeKey: string; eventType?: string; tenantId?: string; projectId?: string },
  reason: string,
): Promise<Rejection> {
  const clean = storable(reason, 1000);
  await db.query
    .insert(schema.processedWebhookEvents)
    .values({
      source: delivery.source,
      dedupeKey: storable(delivery.dedupeKey, 300),
      tenantId: delivery.tenantId ?? null,
      projectId: delivery.projectId ?? null,
      eventType: storable(delivery.eventType || "unknown", 100),
      outcome: "rejected",
      reason: clean,
    })
    .onConflictDoNothing();
  return { outcome: "rejected", reason: clean };
}

const storable = (text: string, max: number) => {
  const s = text.replaceAll("\u0000", "\\0");
  return s.length > max ? `${s.slice(0, max - 3)}...` : s;
};
