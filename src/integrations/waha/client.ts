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
    message: string,
    readonly status: number | null,
    /** Network failures, 5xx and 429 are worth retrying; other 4xx will fail the same way again. */
    readonly retryable: boolean,
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

export async function sendViaWaha(
  cfg: WahaChannelConfig,
  req: SendRequest,
  timeoutMs = 20_000,
): Promise<{ messageId: string | null; raw: unknown }> {
  const body: Record<string, unknown> = { session: cfg.session, chatId: req.chatId };
  if (req.replyTo) body.reply_to = req.replyTo;
  if (req.kind === "text") body.text = req.text ?? "";
  else {
    body.file = { url: req.media!.url, mimetype: req.media!.mimetype, ...(req.media!.filename ? { filename: req.media!.filename } : {}) };
    if (req.text) body.caption = req.text;
  }
  let res: Response;
  try {
    res = await fetch(`${cfg.baseUrl}/api/${ENDPOINT[req.kind]}`, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...(cfg.apiKey ? { "X-Api-Key": cfg.apiKey } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new WahaError(`WAHA unreachable: ${(err as Error)?.message ?? err}`, null, true);
  }
  const text = await res.text();
  if (!res.ok) {
    const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
    throw new WahaError(`WAHA answered ${res.status}: ${text.slice(0, 300)}`, res.status, retryable);
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
