/**
 * A local WAHA peer for laptops and tests. It speaks WAHA's documented HTTP API (send endpoints with X-Api-Key,
 * engine-specific 201 bodies) and posts WAHA-shaped, HMAC-SHA512-signed webhooks (message, message.ack) back to
 * the CRM, so the whole WhatsApp loop runs without a phone.
 */
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readBody } from "../read-body";

export type Engine = "WEBJS" | "NOWEB" | "GOWS";

export interface SandboxSession {
  name: string;
  /** Where webhooks go, e.g. http://127.0.0.1:8787/webhooks/waha/<channel id>. */
  webhookUrl?: string;
  /** HMAC key configured on the CRM channel. */
  hmacKey?: string;
  /** Expected X-Api-Key; unset → any key is accepted. */
  apiKey?: string;
  engine?: Engine;
  /** The account's own id (`me.id`). */
  me?: string;
  /** Answer sends with an empty body, as some WAHA versions do. */
  emptyResponse?: boolean;
  /** Fail the next N sends with HTTP 500 (exercises retries). */
  failNext?: number;
  /** Post ack webhooks (SERVER, DEVICE) after each send. */
  autoAck?: boolean;
  /** Use this WhatsApp id for the next accepted send (tests that need to know it in advance). */
  nextMessageId?: string;
  /**
   * Faults for the next sends, one consumed per send, in order (fault injection for exactly-once tests):
   *  - `accept-hang`: the send is recorded (the customer gets it), then no answer ever comes — the client times out;
   *  - `accept-drop`: recorded, then the connection is dropped without an answer;
   *  - `accept-500`: recorded, then a 500 (WAHA failed after handing the message to WhatsApp);
   *  - `refuse`: the connection is dropped before anything is recorded;
   *  - `400`: a definite rejection before anything is recorded;
   *  - `delay:<ms>`: recorded and answered normally, after a delay.
   */
  faults?: SendFault[];
  /** Per-send probabilities of faults (the bench): e.g. `{ "accept-drop": 0.1, "refuse": 0.05 }`, drawn once per send. */
  faultRates?: Partial<Record<"accept-hang" | "accept-drop" | "accept-500" | "refuse", number>>;
  /** Fail the next N chat-message listings with HTTP 500 (WAHA cannot be read either). */
  listFailNext?: number;
  /** `false`: the engine cannot fetch one message's media on demand (501), so `media.url: null` stays unavailable. */
  mediaLookup?: boolean;
}

export type SendFault = "accept-hang" | "accept-drop" | "accept-500" | "refuse" | "400" | `delay:${number}`;

export interface SentMessage {
  endpoint: string;
  /** The fault this send met, if any (the CRM may not know it was sent). */
  fault?: string;
  session: string;
  chatId: string;
  body: Record<string, unknown>;
  messageId: string;
  at: number;
}

export interface WahaSandbox {
  url: string;
  port: number;
  sent: SentMessage[];
  sessions: Map<string, SandboxSession>;
  configure(session: SandboxSession): void;
  /** Posts a webhook event signed like WAHA does and returns the CRM's response status. */
  deliver(session: string, event: string, payload: Record<string, unknown>, opts?: { id?: string }): Promise<number>;
  /** Simulates a customer writing to the account. */
  inbound(session: string, msg: { from: string; body?: string; id?: string; media?: Record<string, unknown> | null }): Promise<number>;
  close(): Promise<void>;
}

const SEND_ENDPOINTS = new Set(["sendText", "sendImage", "sendFile", "sendVoice", "sendVideo"]);

export async function startWahaSandbox(opts: { port?: number; dataFile?: string } = {}): Promise<WahaSandbox> {
  const sessions = new Map<string, SandboxSession>();
  const sent: SentMessage[] = [];
  const presence: { session: string; chatId: string; action: string; at: number }[] = [];
  // Media files as WAHA keeps them (GET /api/files/{session}/{name}, behind the session's X-Api-Key), the message each
  // belongs to (for "this message's media" lookups), and how often each was downloaded.
  const files = new Map<
    string,
    { bytes: Buffer; mimetype: string; filename?: string; messageId?: string; downloads: number; failFirst: number }
  >();
  if (opts.dataFile && existsSync(opts.dataFile)) {
    for (const s of JSON.parse(readFileSync(opts.dataFile, "utf8")) as SandboxSession[]) sessions.set(s.name, s);
  }
  const persist = () => opts.dataFile && writeFileSync(opts.dataFile, JSON.stringify([...sessions.values()], null, 2));

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => json(res, 500, { error: String(err?.message ?? err) }));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://localhost");
    const parts = url.pathname.split("/").filter(Boolean);
    if (req.method === "GET" && url.pathname === "/__sandbox/sent") {
      const session = url.searchParams.get("session");
      return json(res, 200, session ? sent.filter((m) => m.session === session) : sent);
    }
    // Presence calls (WAHA POST /api/startTyping | /api/stopTyping {session, chatId}), recorded for tests.
    if (req.method === "GET" && url.pathname === "/__sandbox/presence") {
      const session = url.searchParams.get("session");
      return json(res, 200, session ? presence.filter((p) => p.session === session) : presence);
    }
    if (req.method === "POST" && (url.pathname === "/api/startTyping" || url.pathname === "/api/stopTyping")) {
      const body = JSON.parse(await readBody(req));
      const session: SandboxSession = sessions.get(body.session) ?? { name: body.session };
      if (session.apiKey && req.headers["x-api-key"] !== session.apiKey) return json(res, 401, { message: "Unauthorized" });
      if (!body.chatId) return json(res, 400, { message: "chatId is required" });
      presence.push({ session: body.session, chatId: body.chatId, action: url.pathname.slice(5), at: Date.now() });
      return json(res, 201, {});
    }
    // Test hook: PUT a file into the sandbox's store. Query: session, name, mimetype, filename?, messageId? (WAHA's
    // full message id: its media can then be fetched on demand), failFirst? (that many downloads answer 503 first).
    // The body is the file's bytes. Answers {url, path}.
    if (req.method === "POST" && url.pathname === "/__sandbox/files") {
      const session = url.searchParams.get("session") ?? "default";
      const name = url.searchParams.get("name") ?? randomBytes(8).toString("hex");
      const bytes = await readRaw(req);
      const path = `/api/files/${encodeURIComponent(session)}/${encodeURIComponent(name)}`;
      files.set(path, {
        bytes,
        mimetype: url.searchParams.get("mimetype") ?? "application/octet-stream",
        filename: url.searchParams.get("filename") ?? undefined,
        messageId: url.searchParams.get("messageId") ?? undefined,
        downloads: 0,
        failFirst: Number(url.searchParams.get("failFirst") ?? 0) || 0,
      });
      // publicUrl: the same bytes without WAHA's key, as the business's own file host would serve them (outbound media).
      return json(res, 200, { url: `${sandbox.url}${path}`, path, publicUrl: `${sandbox.url}/__sandbox/public${path}` });
    }
    // Downloads per file path, for tests that check a file is fetched once.
    if (req.method === "GET" && url.pathname === "/__sandbox/files") {
      return json(res, 200, Object.fromEntries([...files].map(([path, f]) => [path, { downloads: f.downloads, bytes: f.bytes.length }])));
    }
    if (req.method === "GET" && url.pathname.startsWith("/__sandbox/public/")) {
      const file = files.get(url.pathname.slice("/__sandbox/public".length));
      if (!file) return json(res, 404, { message: "file not found" });
      file.downloads++;
      res.writeHead(200, { "content-type": file.mimetype, "content-length": String(file.bytes.length) });
      res.end(file.bytes);
      return;
    }
    // WAHA: GET /api/files/{session}/{file} — media it downloaded, with the session's API key; 404 once cleaned.
    if (req.method === "GET" && parts[0] === "api" && parts[1] === "files" && parts.length === 4) {
      const session = sessions.get(decodeURIComponent(parts[2]!));
      if (session?.apiKey && req.headers["x-api-key"] !== session.apiKey) return json(res, 401, { message: "Unauthorized" });
      const file = files.get(url.pathname);
      if (!file) return json(res, 404, { message: "file not found" });
      if (file.failFirst > 0) {
        file.failFirst--;
        return json(res, 503, { message: "sandbox: simulated file store failure" });
      }
      file.downloads++;
      res.writeHead(200, { "content-type": file.mimetype, "content-length": String(file.bytes.length) });
      res.end(file.bytes);
      return;
    }
    // WAHA: GET /api/{session}/chats/{chatId}/messages/{messageId}?downloadMedia=true — one message, its media
    // downloaded now. Only messages whose file was put with `messageId` are known; engines configured with
    // `mediaLookup: false` answer 501 (not implemented), as an engine without the feature would.
    if (req.method === "GET" && parts[0] === "api" && parts[2] === "chats" && parts[4] === "messages" && parts.length === 6) {
      const session = sessions.get(parts[1]!);
      if (!session) return json(res, 404, { message: "session not found" });
      if (session.apiKey && req.headers["x-api-key"] !== session.apiKey) return json(res, 401, { message: "Unauthorized" });
      if (session.mediaLookup === false) return json(res, 501, { message: "not implemented for this engine" });
      const messageId = decodeURIComponent(parts[5]!);
      const entry = [...files].find(([, f]) => f.messageId === messageId);
      if (!entry) return json(res, 404, { message: "message not found" });
      const [path, file] = entry;
      const download = url.searchParams.get("downloadMedia") !== "false";
      return json(res, 200, {
        id: messageId,
        timestamp: Math.floor(Date.now() / 1000),
        from: decodeURIComponent(parts[3]!),
        fromMe: false,
        hasMedia: true,
        media: download ? { url: `${sandbox.url}${path}`, mimetype: file.mimetype, filename: file.filename ?? null } : null,
      });
    }
    if (req.method === "POST" && url.pathname === "/__sandbox/sessions") {
      const body = JSON.parse(await readBody(req)) as SandboxSession;
      sandbox.configure(body);
      return json(res, 200, sessions.get(body.name));
    }
    if (req.method === "POST" && url.pathname === "/__sandbox/inbound") {
      const body = JSON.parse(await readBody(req));
      const status = await sandbox.inbound(body.session ?? "default", body);
      return json(res, 200, { delivered: status });
    }
    if (req.method === "GET" && parts[0] === "api" && parts[1] === "sessions" && parts[2]) {
      const s = sessions.get(parts[2]);
      return s ? json(res, 200, { name: s.name, status: "WORKING", me: { id: me(s) } }) : json(res, 404, { error: "session not found" });
    }
    // WAHA: GET /api/{session}/chats/{chatId}/messages?limit=&downloadMedia= — the chat's messages, newest first.
    if (req.method === "GET" && parts[0] === "api" && parts[2] === "chats" && parts[4] === "messages" && parts.length === 5) {
      const session = sessions.get(parts[1]!);
      if (!session) return json(res, 404, { message: "session not found" });
      if (session.apiKey && req.headers["x-api-key"] !== session.apiKey) return json(res, 401, { message: "Unauthorized" });
      if (session.listFailNext && session.listFailNext > 0) {
        session.listFailNext--;
        return json(res, 500, { message: "sandbox: simulated listing failure" });
      }
      const chatId = decodeURIComponent(parts[3]!);
      const limit = Math.max(1, Math.min(1000, Number(url.searchParams.get("limit") ?? 10) || 10));
      const offset = Math.max(0, Number(url.searchParams.get("offset") ?? 0) || 0);
      const gte = Number(url.searchParams.get("filter.timestamp.gte") ?? 0) || 0;
      // Only what the sandbox sent (fromMe): `filter.fromMe=false` has nothing to list.
      const fromMe = url.searchParams.get("filter.fromMe");
      const list = sent
        .filter((m) => m.session === session.name && m.chatId === chatId && fromMe !== "false" && m.at >= gte * 1000)
        .reverse()
        .slice(offset, offset + limit)
        .map((m) => ({
          id: m.messageId,
          timestamp: Math.floor(m.at / 1000),
          from: me(session),
          fromMe: true,
          source: "api",
          to: m.chatId,
          body: String(m.body.text ?? m.body.caption ?? ""),
          hasMedia: m.endpoint !== "sendText",
          media: null,
          ack: 1,
          ackName: "SERVER",
        }));
      return json(res, 200, list);
    }
    if (req.method === "POST" && parts[0] === "api" && parts[1] && SEND_ENDPOINTS.has(parts[1])) {
      const body = JSON.parse(await readBody(req));
      const session: SandboxSession = sessions.get(body.session) ?? { name: body.session };
      if (session.apiKey && req.headers["x-api-key"] !== session.apiKey) return json(res, 401, { message: "Unauthorized" });
      if (!body.chatId) return json(res, 400, { message: "chatId is required" });
      if (session.failNext && session.failNext > 0) {
        session.failNext--;
        return json(res, 500, { message: "sandbox: simulated failure" });
      }
      const fault = nextFault(session);
      if (fault === "refuse") {
        req.socket.destroy();
        return;
      }
      if (fault === "400") return json(res, 400, { message: "sandbox: simulated rejection" });
      const messageId = session.nextMessageId ?? randomBytes(10).toString("hex").toUpperCase();
      session.nextMessageId = undefined;
      const fullId = `true_${body.chatId}_${messageId}`;
      const timestamp = Math.floor(Date.now() / 1000);
      sent.push({ endpoint: parts[1], session: session.name, chatId: body.chatId, body, messageId: fullId, at: Date.now(), fault });
      if (process.env.NEON_PROXY_TRACE) process.stderr.write(`[sql ${Date.now() % 100000}] WAHA ${parts[1]}\n`);
      if (fault === "accept-hang") {
        // Never answered: the client's timeout ends it (or the sandbox closing).
        return;
      }
      if (fault === "accept-drop") {
        req.socket.destroy();
        return;
      }
      if (fault === "accept-500") return json(res, 500, { message: "sandbox: failed after sending" });
      if (fault?.startsWith("delay:")) await new Promise((r) => setTimeout(r, Number(fault.slice(6)) || 0));
      if (session.autoAck && session.webhookUrl) {
        setTimeout(async () => {
          for (const [ack, ackName] of [
            [1, "SERVER"],
            [2, "DEVICE"],
          ] as const) {
            await sandbox
              .deliver(session.name, "message.ack", {
                id: fullId,
                from: body.chatId,
                to: body.chatId,
                participant: null,
                fromMe: true,
                ack,
                ackName,
              })
              .catch(() => {});
          }
        }, 50);
      }
      if (session.emptyResponse) {
        res.writeHead(201).end();
        return;
      }
      if ((session.engine ?? "WEBJS") === "NOWEB") {
        return json(res, 201, {
          key: { remoteJid: body.chatId.replace("@c.us", "@s.whatsapp.net"), fromMe: true, id: messageId },
          message: { extendedTextMessage: { text: body.text ?? body.caption ?? "" } },
          messageTimestamp: String(timestamp),
          status: "PENDING",
        });
      }
      return json(res, 201, {
        id: fullId,
        timestamp,
        from: me(session),
        fromMe: true,
        source: "api",
        to: body.chatId,
        body: body.text ?? body.caption ?? "",
        hasMedia: parts[1] !== "sendText",
        ack: 0,
        ackName: "PENDING",
      });
    }
    return json(res, 404, { message: `sandbox: no route ${req.method} ${url.pathname}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", resolve);
  });
  const port = (server.address() as AddressInfo).port;

  const sandbox: WahaSandbox = {
    url: `http://127.0.0.1:${port}`,
    port,
    sent,
    sessions,
    configure(session) {
      sessions.set(session.name, { ...sessions.get(session.name), ...session });
      persist();
    },
    async deliver(sessionName, event, payload, o = {}) {
      const session = sessions.get(sessionName);
      if (!session?.webhookUrl) throw new Error(`sandbox: session ${sessionName} has no webhookUrl`);
      const envelope = {
        id: o.id ?? `evt_${ulid()}`,
        timestamp: Date.now(),
        event,
        session: sessionName,
        metadata: {},
        me: { id: me(session), pushName: "Ventros Sandbox" },
        payload,
        engine: session.engine ?? "WEBJS",
        environment: { version: "sandbox", engine: session.engine ?? "WEBJS", tier: "CORE" },
      };
      const raw = JSON.stringify(envelope);
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "X-Webhook-Request-Id": envelope.id,
        "X-Webhook-Timestamp": String(envelope.timestamp),
      };
      if (session.hmacKey) {
        headers["X-Webhook-Hmac"] = createHmac("sha512", session.hmacKey).update(raw).digest("hex");
        headers["X-Webhook-Hmac-Algorithm"] = "sha512";
      }
      const res = await fetch(session.webhookUrl, { method: "POST", headers, body: raw });
      await res.body?.cancel();
      return res.status;
    },
    async inbound(sessionName, msg) {
      const id = msg.id ?? randomBytes(10).toString("hex").toUpperCase();
      const hasMedia = Boolean(msg.media);
      return sandbox.deliver(sessionName, "message", {
        id: `false_${msg.from}_${id}`,
        timestamp: Math.floor(Date.now() / 1000),
        from: msg.from,
        fromMe: false,
        source: "app",
        to: me(sessions.get(sessionName)!),
        body: msg.body ?? "",
        hasMedia,
        media: msg.media ?? null,
        ack: 1,
        ackName: "SERVER",
      });
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return sandbox;
}

/** The fault the next send meets: queued faults first, then the configured rates. */
function nextFault(session: SandboxSession): string | undefined {
  if (session.faults?.length) return session.faults.shift();
  let roll = Math.random();
  for (const [fault, rate] of Object.entries(session.faultRates ?? {})) {
    if (roll < (rate ?? 0)) return fault;
    roll -= rate ?? 0;
  }
  return undefined;
}

const me = (s: SandboxSession | undefined) => s?.me ?? "5500000000000@c.us";

/** WAHA's event ids are `evt_` + a lowercase ULID. */
function ulid() {
  const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
  let t = Date.now();
  let time = "";
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const rand = Array.from(randomBytes(16), (b) => alphabet[b % 32]).join("");
  return time + rand;
}

function readRaw(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}
