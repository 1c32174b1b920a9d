import { DurableObject } from "cloudflare:workers";
import { databaseFor, parseConfig } from "../env";
import { createLogger } from "../lib/logger";
import { type RealtimeActor, stillAuthorized } from "../services/auth/realtime-access";
import { CLOSE_ACCESS_REVOKED, CLOSE_CREDENTIAL_EXPIRED, FORWARDED, REVALIDATE_MS } from "./protocol";

export { CLOSE_ACCESS_REVOKED, CLOSE_CREDENTIAL_EXPIRED, FORWARDED, REVALIDATE_MS };

export interface StreamEvent {
  seq: number;
  id?: string;
  topic: string;
  payload: Record<string, unknown>;
  at: string;
}

/** How many events a reconnecting client can catch up on; older gaps are answered with a `reset`. */
export const REPLAY_LIMIT = 500;

/** Who is on a socket and until when, kept with it across hibernation (serializeAttachment). */
interface SocketAttachment {
  actor: RealtimeActor | null;
  projectId: string | null;
  /** Epoch ms after which the credential is no longer valid; null when it does not expire. */
  expiresAt: number | null;
  /** When the credential was last known valid. */
  validatedAt: number;
  connectedAt: number;
}

/**
 * A WebSocket fan-out with a durable, bounded event log (Hibernation API). Each published event gets the next
 * sequence number; a client reconnecting with `?since=<last seq>` receives what it missed, in order, before live
 * events. In-memory state is never trusted across hibernation: sockets come from `getWebSockets()`.
 */
export abstract class EventStream extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Heartbeats are answered by the runtime without waking the object.
    this.ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /** Upgrades a request the Worker has already authenticated and authorised. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("expected a WebSocket upgrade", { status: 426 });
    const url = new URL(request.url);
    const since = Number(url.searchParams.get("since") ?? NaN);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const type = request.headers.get(FORWARDED.actorType);
    const actorId = request.headers.get(FORWARDED.actor);
    const expiresAt = Number(request.headers.get(FORWARDED.expiresAt) ?? NaN);
    const attachment: SocketAttachment = {
      actor: actorId && (type === "user" || type === "api_key") ? { type, id: actorId } : null,
      projectId: request.headers.get(FORWARDED.projectId),
      expiresAt: Number.isFinite(expiresAt) ? expiresAt : null,
      validatedAt: Date.now(),
      connectedAt: Date.now(),
    };
    server.serializeAttachment(attachment);
    const head = (await this.ctx.storage.get<number>("seq")) ?? 0;
    server.send(JSON.stringify({ type: "hello", seq: head }));
    if (Number.isFinite(since) && since < head) {
      const oldest = Math.max(1, head - REPLAY_LIMIT + 1);
      if (since + 1 < oldest) server.send(JSON.stringify({ type: "reset", reason: "too far behind; reload from the REST API", seq: head }));
      const missed = await this.ctx.storage.list<StreamEvent>({ start: key(Math.max(since + 1, oldest)), end: key(head + 1) });
      for (const event of missed.values()) server.send(JSON.stringify({ type: "event", ...event }));
    }
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Appends an event to the log and sends it to every connected client. `eventId` (the outbox id) makes a
   * redelivered event a no-op, so at-least-once queue delivery still shows each event once.
   */
  async publish(topic: string, payload: Record<string, unknown>, eventId?: string): Promise<number> {
    if (eventId) {
      const known = await this.ctx.storage.get<number>(`o:${eventId}`);
      if (known) return known;
    }
    const seq = ((await this.ctx.storage.get<number>("seq")) ?? 0) + 1;
    const event: StreamEvent = { seq, topic, payload, at: new Date().toISOString(), ...(eventId ? { id: eventId } : {}) };
    const writes: Record<string, unknown> = { seq, [key(seq)]: event };
    if (eventId) writes[`o:${eventId}`] = seq;
    await this.ctx.storage.put(writes);
    if (seq > REPLAY_LIMIT) {
      const old = await this.ctx.storage.get<StreamEvent>(key(seq - REPLAY_LIMIT));
      await this.ctx.storage.delete([key(seq - REPLAY_LIMIT), ...(old?.id ? [`o:${old.id}`] : [])]);
    }
    const frame = JSON.stringify({ type: "event", ...event });
    for (const ws of await this.authorizedSockets()) {
      try {
        ws.send(frame);
      } catch {
        // A socket closing concurrently; its close handler cleans up.
      }
    }
    await this.afterPublish(topic, payload);
    return seq;
  }

  protected async afterPublish(_topic: string, _payload: Record<string, unknown>): Promise<void> {}

  /**
   * Closes the sockets of an actor whose access ended (API key revoked, member removed) with 4403; the number
   * closed. Called by the consumers of those events.
   */
  async revoke(actor: RealtimeActor): Promise<number> {
    let closed = 0;
    for (const ws of this.ctx.getWebSockets()) {
      const a = attachmentOf(ws);
      if (a?.actor?.type === actor.type && a.actor.id === actor.id) {
        // Marked first: a socket still closing is never sent to again.
        ws.serializeAttachment({ ...a, actor: null, expiresAt: 0 } satisfies SocketAttachment);
        closeSocket(ws, CLOSE_ACCESS_REVOKED, "access revoked");
        closed++;
      }
    }
    return closed;
  }

  /**
   * The sockets that may still receive events, checked before every send: an expired credential closes its socket
   * (4401); one not re-validated for REVALIDATE_MS is checked against the database, and closed (4403) if its API
   * key was revoked or expired, its membership removed or its account disabled. If the database cannot answer, the
   * sockets keep their last verdict until the next send (their expiry still applies).
   */
  protected async authorizedSockets(): Promise<WebSocket[]> {
    const now = Date.now();
    const ready: WebSocket[] = [];
    const stale: { ws: WebSocket; a: SocketAttachment & { actor: RealtimeActor; projectId: string } }[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const a = attachmentOf(ws);
      if (a?.expiresAt != null && a.expiresAt <= now) {
        closeSocket(ws, CLOSE_CREDENTIAL_EXPIRED, "credential expired; reconnect with a fresh token");
        continue;
      }
      if (a?.actor && a.projectId && now - a.validatedAt >= REVALIDATE_MS) stale.push({ ws, a: a as (typeof stale)[number]["a"] });
      else ready.push(ws);
    }
    if (stale.length === 0) return ready;
    // One project per stream (a feed is a project's, a room its session's); grouped all the same.
    const verdicts = new Map<string, Promise<Set<string> | undefined>>();
    for (const { a } of stale) {
      if (!verdicts.has(a.projectId)) {
        const actors = stale.filter((s) => s.a.projectId === a.projectId).map((s) => s.a.actor);
        verdicts.set(a.projectId, this.checkActors(a.projectId, actors));
      }
    }
    for (const { ws, a } of stale) {
      const valid = await verdicts.get(a.projectId);
      if (!valid) ready.push(ws);
      else if (valid.has(`${a.actor.type}:${a.actor.id}`)) {
        ws.serializeAttachment({ ...a, validatedAt: now } satisfies SocketAttachment);
        ready.push(ws);
      } else closeSocket(ws, CLOSE_ACCESS_REVOKED, "access revoked");
    }
    return ready;
  }

  /** `type:id` of the actors still authorised in the project; undefined when the database cannot tell. */
  private async checkActors(projectId: string, actors: RealtimeActor[]): Promise<Set<string> | undefined> {
    const config = parseConfig(this.env);
    const db = databaseFor(config);
    try {
      return await stillAuthorized(db, projectId, actors);
    } catch (err) {
      createLogger({ durableObject: this.constructor.name }, config.LOG_LEVEL).warn("re-validating sockets failed", { err });
      return undefined;
    } finally {
      this.ctx.waitUntil(db.close());
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer) {
    // Clients only send heartbeats (answered by the auto-response); anything else gets a hint.
    if (typeof message === "string" && message !== "ping") ws.send(JSON.stringify({ type: "error", message: "this stream is read-only" }));
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string) {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {}
  }
}

const key = (seq: number) => `e:${String(seq).padStart(12, "0")}`;

/** The socket's attachment; sockets accepted before attachments carried credentials have none of it. */
function attachmentOf(ws: WebSocket): SocketAttachment | null {
  const a = ws.deserializeAttachment() as Partial<SocketAttachment> | null;
  if (!a || typeof a !== "object" || typeof a.actor !== "object") return null;
  return {
    actor: a.actor ?? null,
    projectId: a.projectId ?? null,
    expiresAt: a.expiresAt ?? null,
    validatedAt: a.validatedAt ?? 0,
    connectedAt: a.connectedAt ?? 0,
  };
}

function closeSocket(ws: WebSocket, code: number, reason: string) {
  try {
    ws.close(code, reason);
  } catch {
    // Already closing.
  }
}
