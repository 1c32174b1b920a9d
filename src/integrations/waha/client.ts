/** WAHA's send API (docs: how-to/send-messages). One client per channel. */
export interface WahaChannelConfig {
  baseUrl: string;
  apiKey: string | null;
  session: string;
}

export type SendKind = "text" | "image" | "video" | "voice" | "document";

export interface SendRequest {
  kind: SendKind;
  chatId: string;
  text?: string | null;
  media?: { url: string; mimetype: string; filename?: string | null };
  replyTo?: string | null;
}

export class WahaError extends Error {
  constructor(
    /** A short reason safe to store and show: our own words, never WAHA's body or a driver's text. */
    message: string,
    readonly status: number | null,
    /** Network failures, 5xx, 408 and 429 are worth retrying; other 4xx will fail the same way again. */
    readonly retryable: boolean,
    /**
     * The request may have reached WhatsApp although no success came back (timeout, connection lost, 5xx): a retry
     * must first look for the message in the chat (WAHA has no idempotency key). False when WAHA certainly did not
     * send it (a 4xx answer, a connection refused before the request was written).
     */
    readonly ambiguous = false,
  ) {
    super(message);
    this.name = "WahaError";
  }
}

const ENDPOINT: Record<SendKind, string> = {
  text: "sendText",
  image: "sendImage",
  video: "sendVideo",
  voice: "sendVoice",
  document: "sendFile",
};

/** Default upper bound of one WAHA call; configurable per deployment (WAHA_TIMEOUT_MS). */
export const DEFAULT_WAHA_TIMEOUT_MS = 20_000;

const headersFor = (cfg: WahaChannelConfig, json: boolean): Record<string, string> => ({
  accept: "application/json",
  ...(json ? { "content-type": "application/json" } : {}),
  ...(cfg.apiKey ? { "X-Api-Key": cfg.apiKey } : {}),
});

/** A fetch failure before any answer: refused connections never reached WAHA; anything else may have. */
function networkError(err: unknown, timeoutMs: number): WahaError {
  const e = err as { name?: string; message?: string; cause?: { code?: string } } | undefined;
  if (e?.name === "TimeoutError" || e?.name === "AbortError")
    return new WahaError(`WAHA did not answer within ${timeoutMs} ms`, null, true, true);
  const text = `${e?.message ?? ""} ${e?.cause?.code ?? ""}`;
  if (/ECONNREFUSED|connection refused|connect(ion)? (failed|error)/i.test(text))
    return new WahaError("WAHA refused the connection", null, true, false);
  return new WahaError("The connection to WAHA was lost before it answered", null, true, true);
}

export async function sendViaWaha(
  cfg: WahaChannelConfig,
  req: SendRequest,
  timeoutMs = DEFAULT_WAHA_TIMEOUT_MS,
): Promise<{ messageId: string | null; raw: unknown }> {
  const body: Record<string, unknown> = { session: cfg.session, chatId: req.chatId };
  if (req.replyTo) body.reply_to = req.replyTo;
  if (req.kind === "text") body.text = req.text ?? "";
  else {
    body.file = { url: req.media!.url, mimetype: req.media!.mimetype, ...(req.media!.filename ? { filename: req.media!.filename } : {}) };
    if (req.text) body.caption = req.text;
  }
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${cfg.baseUrl}/api/${ENDPOINT[req.kind]}`, {
      method: "POST",
      headers: headersFor(cfg, true),
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (err) {
    throw networkError(err, timeoutMs);
  }
  if (!res.ok) {
    // 5xx: WAHA may have failed after handing the message to WhatsApp. 408/429 and other 4xx: it did not send.
    const ambiguous = res.status >= 500;
    const retryable = ambiguous || res.status === 429 || res.status === 408;
    throw new WahaError(`WAHA answered ${res.status}`, res.status, retryable, ambiguous);
  }
  let raw: unknown = null;
  try {
    raw = text ? JSON.parse(text) : null;
  } catch {
    raw = text;
  }
  return { messageId: messageIdFrom(raw, req.chatId), raw };
}

/**
 * Shows (or stops showing) "typing…" in the chat: WAHA `POST /api/startTyping` | `/api/stopTyping` `{session, chatId}`.
 * Presence is cosmetic: a failure is reported, never retried.
 */
export async function setTypingViaWaha(cfg: WahaChannelConfig, chatId: string, typing: boolean, timeoutMs = 5_000): Promise<void> {
  let res: Response;
  try {
    res = await fetch(`${cfg.baseUrl}/api/${typing ? "startTyping" : "stopTyping"}`, {
      method: "POST",
      headers: headersFor(cfg, true),
      body: JSON.stringify({ session: cfg.session, chatId }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.body?.cancel();
  } catch (err) {
    throw networkError(err, timeoutMs);
  }
  if (!res.ok) throw new WahaError(`WAHA answered ${res.status}`, res.status, false);
}

/** One message of a chat as WAHA lists it (the fields reconciliation reads). */
export interface WahaChatMessage {
  id: string;
  /** Seconds. */
  timestamp: number;
  fromMe: boolean;
  source?: string;
  body: string;
  hasMedia: boolean;
}

/**
 * A chat's messages sent by us since a time, newest first (WAHA: `GET /api/{session}/chats/{chatId}/messages` with
 * `filter.fromMe`, `filter.timestamp.gte` (seconds), `limit`, `offset`), without downloading media. Used to find out
 * whether a send whose answer was lost reached WhatsApp.
 */
export async function listChatMessages(
  cfg: WahaChannelConfig,
  chatId: string,
  q: { sinceSeconds: number; limit: number; offset: number },
  timeoutMs = DEFAULT_WAHA_TIMEOUT_MS,
): Promise<WahaChatMessage[]> {
  const chat = `${cfg.baseUrl}/api/${encodeURIComponent(cfg.session)}/chats/${encodeURIComponent(chatId)}`;
  const filter = `filter.fromMe=true&filter.timestamp.gte=${Math.floor(q.sinceSeconds)}`;
  const url = `${chat}/messages?limit=${q.limit}&offset=${q.offset}&downloadMedia=false&${filter}`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { headers: headersFor(cfg, false), signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    throw networkError(err, timeoutMs);
  }
  if (!res.ok) throw new WahaError(`WAHA answered ${res.status} to the chat listing`, res.status, true);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new WahaError("WAHA's chat listing was not JSON", res.status, true);
  }
  if (!Array.isArray(raw)) throw new WahaError("WAHA's chat listing was not a list", res.status, true);
  return raw.flatMap((m: any) => {
    const id = typeof m?.id === "string" ? m.id : typeof m?.id?._serialized === "string" ? m.id._serialized : null;
    if (!id) return [];
    return [
      {
        id,
        timestamp: Number(m.timestamp) || 0,
        fromMe: m.fromMe === true,
        source: typeof m.source === "string" ? m.source : undefined,
        body: typeof m.body === "string" ? m.body : "",
        hasMedia: m.hasMedia === true,
      },
    ];
  });
}

/**
 * The sent message's id in the `{fromMe}_{chatId}_{id}` form that acks and message.any use. Engines answer
 * differently: WEBJS a message object (`id` string or `{ _serialized }`), NOWEB `{ key: { id } }`, some versions
 * nothing at all (then acks cannot be matched, and the message stays `sent`).
 */
export function messageIdFrom(raw: unknown, chatId: string): string | null {
  if (!raw || typeof raw !== "object") return null;
  const r = raw as Record<string, any>;
  if (typeof r.id === "string" && r.id) return r.id;
  if (r.id && typeof r.id._serialized === "string") return r.id._serialized;
  if (r.key && typeof r.key.id === "string") return `true_${chatId}_${r.key.id}`;
  if (r._data?.id?._serialized) return String(r._data.id._serialized);
  return null;
}
