import { DurableObject } from "cloudflare:workers";

export interface StreamEvent {
  seq: number;
  id?: string;
  topic: string;
  payload: Record<string, unknown>;
  at: string;
}

/** How many events a reconnecting client can catch up on; older gaps are answered with a `reset`. */
export const REPLAY_LIMIT = 500;

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
    server.serializeAttachment({ actor: request.headers.get("x-ventros-actor"), connectedAt: Date.now() });
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
    for (const ws of this.ctx.getWebSockets()) {
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
