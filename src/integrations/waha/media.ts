import { DEFAULT_WAHA_TIMEOUT_MS, type WahaChannelConfig, WahaError } from "./client";

/** What one media download gave. Network failures, 5xx, 408 and 429 throw a retryable `WahaError` instead. */
export type MediaDownload =
  | { outcome: "ok"; bytes: Uint8Array; contentType: string | null }
  /** Over the cap: the body was not read past it. `bytes` is the declared length when the server sent one. */
  | { outcome: "too_large"; bytes: number | null }
  /** 404 / 410: WAHA cleaned its files (WHATSAPP_FILES_LIFETIME) or never had this one. */
  | { outcome: "gone"; status: number }
  /** Another 4xx (a wrong API key, a forbidden path): the same request will fail the same way. */
  | { outcome: "refused"; status: number };

/**
 * Where to fetch a media URL from, and whether WAHA's API key may go with it. WAHA builds `media.url` from its own
 * WAHA_BASE_URL, which is often `http://localhost:3000` behind a proxy: a file path of WAHA (`/api/files/…`) on
 * another origin is fetched from the channel's configured base URL instead. The key goes only with WAHA's own file
 * paths on the channel's origin, and only for URLs WAHA gave us (`fromWaha`: inbound webhooks, media lookups): a URL
 * a caller supplies (outbound media) is fetched as it is, without the key — else any user could make the Worker
 * read the channel's WAHA API (sessions, chats, webhook secrets) with its key and serve the answer back.
 */
export function resolveMediaUrl(
  channelBaseUrl: string | null,
  url: string,
  opts: { fromWaha: boolean },
): { url: string; withKey: boolean } | null {
  let parsed: URL;
  try {
    parsed = channelBaseUrl && opts.fromWaha ? new URL(url, channelBaseUrl) : new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return null;
  if (!channelBaseUrl || !opts.fromWaha) return { url: parsed.toString(), withKey: false };
  const base = new URL(channelBaseUrl);
  const prefix = base.pathname.replace(/\/+$/, "");
  const filePath = (path: string) => path.startsWith(`${prefix}/api/files/`) || path.startsWith("/api/files/");
  if (parsed.origin === base.origin) return { url: parsed.toString(), withKey: filePath(parsed.pathname) };
  if (parsed.pathname.startsWith("/api/files/")) {
    return { url: `${base.origin}${prefix}${parsed.pathname}${parsed.search}`, withKey: true };
  }
  return { url: parsed.toString(), withKey: false };
}

/**
 * Downloads one file with a hard size cap: a declared `content-length` over the cap is refused before the body is
 * read, and a body that grows past it is cancelled mid-stream.
 */
export async function downloadMedia(
  url: string,
  opts: { apiKey?: string | null; maxBytes: number; timeoutMs?: number },
): Promise<MediaDownload> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAHA_TIMEOUT_MS;
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, {
      headers: { accept: "*/*", ...(opts.apiKey ? { "X-Api-Key": opts.apiKey } : {}) },
      signal,
      redirect: "manual",
    });
  } catch (err) {
    throw downloadError(err, timeoutMs);
  }
  if (res.status === 404 || res.status === 410) {
    await res.body?.cancel();
    return { outcome: "gone", status: res.status };
  }
  if (res.status >= 500 || res.status === 408 || res.status === 429) {
    await res.body?.cancel();
    throw new WahaError(`the media server answered ${res.status}`, res.status, true);
  }
  if (!res.ok) {
    await res.body?.cancel();
    return { outcome: "refused", status: res.status };
  }
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body?.cancel();
    return { outcome: "too_large", bytes: declared };
  }
  const contentType = res.headers.get("content-type");
  if (!res.body) return { outcome: "ok", bytes: new Uint8Array(), contentType };
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > opts.maxBytes) {
        await reader.cancel();
        return { outcome: "too_large", bytes: null };
      }
      parts.push(value);
    }
  } catch (err) {
    throw downloadError(err, timeoutMs);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    bytes.set(p, offset);
    offset += p.byteLength;
  }
  return { outcome: "ok", bytes, contentType };
}

function downloadError(err: unknown, timeoutMs: number): WahaError {
  const e = err as { name?: string } | undefined;
  if (e?.name === "TimeoutError" || e?.name === "AbortError")
    return new WahaError(`the media download took longer than ${timeoutMs} ms`, null, true);
  return new WahaError("the connection to the media server failed", null, true);
}

/** WAHA's answer to "this message's media, please". */
export type MessageMediaLookup =
  | { outcome: "found"; url: string; mimetype: string | null; filename: string | null }
  /** The message is known but WAHA still has no file for it (filtered by WHATSAPP_FILES_MIMETYPES, or expired on the phone). */
  | { outcome: "no_media" }
  | { outcome: "not_found" }
  /** The engine cannot fetch one message's media on demand (4xx other than 404, 501). */
  | { outcome: "unsupported"; status: number };

/**
 * Asks WAHA to download one message's media now: `GET /api/{session}/chats/{chatId}/messages/{messageId}?downloadMedia=true`
 * (a message object whose `media.url` points into WAHA's file store). Used when the webhook came with `media.url: null`.
 */
export async function lookupMessageMedia(
  cfg: WahaChannelConfig,
  chatId: string,
  messageId: string,
  timeoutMs = DEFAULT_WAHA_TIMEOUT_MS,
): Promise<MessageMediaLookup> {
  const chat = `${cfg.baseUrl}/api/${encodeURIComponent(cfg.session)}/chats/${encodeURIComponent(chatId)}`;
  const url = `${chat}/messages/${encodeURIComponent(messageId)}?downloadMedia=true`;
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, {
      headers: { accept: "application/json", ...(cfg.apiKey ? { "X-Api-Key": cfg.apiKey } : {}) },
      signal: AbortSignal.timeout(timeoutMs),
      // A redirect would carry the key to wherever it points.
      redirect: "manual",
    });
    text = await res.text();
  } catch (err) {
    throw downloadError(err, timeoutMs);
  }
  if (res.status === 404) return { outcome: "not_found" };
  if (res.status >= 500 && res.status !== 501) throw new WahaError(`WAHA answered ${res.status}`, res.status, true);
  if (!res.ok) return { outcome: "unsupported", status: res.status };
  let body: { media?: { url?: unknown; mimetype?: unknown; filename?: unknown } | null } | null = null;
  try {
    body = JSON.parse(text);
  } catch {
    return { outcome: "unsupported", status: res.status };
  }
  const media = body?.media;
  if (!media || typeof media.url !== "string" || !media.url) return { outcome: "no_media" };
  return {
    outcome: "found",
    url: media.url,
    mimetype: typeof media.mimetype === "string" ? media.mimetype : null,
    filename: typeof media.filename === "string" ? media.filename : null,
  };
}
