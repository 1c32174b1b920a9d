import { databaseFor, parseConfig } from "../env";
import { agentServiceFromEnv } from "../integrations/agent-service";
import { createLogger } from "../lib/logger";
import type { OutboxMessage } from "../outbox/events";
import { publishOutbox } from "../outbox/publisher";
import { abandonTurn, type BurstMessage, executionIdFor, runTurn, type Turn } from "../services/ai/orchestrate";
import { createServiceContext } from "../services/context";
import { deliverMessage } from "../services/messages/deliver";
import { expireIfIdle } from "../services/sessions/expire";
import { EventStream } from "./event-stream";
import { LIVE_TOPICS } from "./live";

interface SessionState {
  sessionId: string;
  tenantId: string;
  projectId: string;
}

/** A customer message the AI should answer, as the queue consumer hands it over. */
export interface AgentInbound extends SessionState, BurstMessage {
  contactId: string;
  channelId: string | null;
  quietWindowMs: number;
  timeoutSeconds: number;
}

/** The conversation the AI answers, kept with the pending burst. */
interface AgentConversation extends SessionState {
  contactId: string;
  channelId: string | null;
  quietWindowMs: number;
  timeoutSeconds: number;
}

const live = new Set<string>(LIVE_TOPICS);
/** A turn stored for running: when it started, its agent's timeout, and how many runs of it failed. */
type StoredTurn = Turn & { startedAt: number; timeoutSeconds: number; attempts?: number };
/** Runs of one turn that may fail before it is abandoned (its execution marked failed) so the next can run. */
const MAX_TURN_ATTEMPTS = 6;
/** How long a running turn may take past its agent's timeout before another run treats it as dead. */
const TURN_WATCHDOG_MS = 60_000;
/** Seen message ids are kept this long (redeliveries come within the queue's retry window). */
const SEEN_TTL_MS = 24 * 60 * 60_000;

/**
 * One per conversation: its live events, its inactivity timeout, and the AI agent's turns — all on one alarm.
 *
 * AI turns, one at a time: each customer message the decision engine lets through is recorded here (deduplicated
 * by message id) and (re)arms the alarm at the end of the quiet window, so a burst is answered once. The alarm takes
 * the whole pending burst as one turn — its execution id derived from the session and the burst's first message,
 * stored before anything else — and runs it. A message arriving while a turn runs is kept pending and folded into
 * the next turn once the current one ends (no cancel-and-restart: the customer gets the answer already being
 * written, then an answer to what they added). A turn found stored but not running (the object restarted) is run
 * again under the same id: runTurn's idempotency makes that safe.
 */
export class SessionRoom extends EventStream {
  private turnRunning = false;

  /** Arms (or re-arms) the inactivity alarm; the caller read the session's expiry from the database. */
  async watch(state: SessionState, expiresAt: number): Promise<void> {
    await this.ctx.storage.put({ session: state, expiresAt });
    await this.schedule();
  }

  /** Records a message for the AI (once per message id) and moves the turn's start to the end of the quiet window. */
  async enqueueForAgent(item: AgentInbound): Promise<{ queued: boolean; dueAt: number | null }> {
    const seenKey = `ai:seen:${item.messageId}`;
    if (await this.ctx.storage.get(seenKey)) return { queued: false, dueAt: (await this.ctx.storage.get<number>("ai:dueAt")) ?? null };
    const pending = (await this.ctx.storage.get<BurstMessage[]>("ai:pending")) ?? [];
    pending.push({ messageId: item.messageId, receivedAt: item.receivedAt });
    // Quiet since the burst's latest message was received — not since it reached this room (routing time is ours,
    // not the customer's) — and never earlier than a later message already asked for.
    const previousDue = (await this.ctx.storage.get<number>("ai:dueAt")) ?? 0;
    const dueAt = Math.max(previousDue, Math.min(Date.now(), item.receivedAt) + item.quietWindowMs);
    const conversation: AgentConversation = {
      sessionId: item.sessionId,
      tenantId: item.tenantId,
      projectId: item.projectId,
      contactId: item.contactId,
      channelId: item.channelId,
      quietWindowMs: item.quietWindowMs,
      timeoutSeconds: item.timeoutSeconds,
    };
    await this.ctx.storage.put({ [seenKey]: Date.now(), "ai:pending": pending, "ai:dueAt": dueAt, "ai:conversation": conversation });
    await this.schedule();
    return { queued: true, dueAt };
  }

  /**
   * Whether a message was already taken for a turn. Every message is routed twice (the request's fast path and the
   * queue's copy), possibly on either side of a change that flips the decision (a human replying meanwhile): the
   * copy of a message already being answered must not also be recorded as "not handled".
   */
  async seenForAgent(messageId: string): Promise<boolean> {
    return (await this.ctx.storage.get(`ai:seen:${messageId}`)) !== undefined;
  }

  /** What the room holds for the AI (tests and diagnostics). */
  async agentState() {
    return {
      pending: (await this.ctx.storage.get<BurstMessage[]>("ai:pending")) ?? [],
      dueAt: (await this.ctx.storage.get<number>("ai:dueAt")) ?? null,
      current: (await this.ctx.storage.get<Turn & { startedAt: number }>("ai:current")) ?? null,
      running: this.turnRunning,
    };
  }

  /** The alarm at the earliest of: the session's expiry, the pending burst's turn, a running turn's watchdog. */
  private async schedule() {
    const [expiresAt, dueAt, current] = await Promise.all([
      this.ctx.storage.get<number>("expiresAt"),
      this.ctx.storage.get<number>("ai:dueAt"),
      this.ctx.storage.get<Turn & { startedAt: number; timeoutSeconds: number }>("ai:current"),
    ]);
    const watchdog = current ? current.startedAt + current.timeoutSeconds * 1000 + TURN_WATCHDOG_MS : undefined;
    const times = [
      expiresAt,
      this.turnRunning ? watchdog : (dueAt ?? watchdog),
      current && !this.turnRunning ? Date.now() : undefined,
    ].filter((t): t is number => typeof t === "number");
    if (times.length) await this.ctx.storage.setAlarm(Math.min(...times));
    else await this.ctx.storage.deleteAlarm();
  }

  protected override async afterPublish(topic: string) {
    if (topic === "session.ended") {
      await this.ctx.storage.delete("expiresAt");
      await this.schedule();
    }
  }

  override async alarm() {
    const now = Date.now();
    const dueAt = await this.ctx.storage.get<number>("ai:dueAt");
    const current = await this.ctx.storage.get<Turn>("ai:current");
    const aiDue = !!current || (dueAt !== undefined && dueAt <= now);
    if (!this.turnRunning && aiDue) await this.runTurns();
    // The expiry rule reads the database, which is authoritative: an alarm not fired for the AI checks it.
    const expiresAt = await this.ctx.storage.get<number>("expiresAt");
    if (!aiDue || (expiresAt !== undefined && expiresAt <= Date.now())) await this.expire();
    await this.schedule();
  }

  /** Runs the stored turn (if one was interrupted), then each burst that is due, one at a time. */
  private async runTurns() {
    this.turnRunning = true;
    try {
      for (;;) {
        let turn = await this.ctx.storage.get<StoredTurn>("ai:current");
        if (!turn) {
          const dueAt = await this.ctx.storage.get<number>("ai:dueAt");
          const pending = (await this.ctx.storage.get<BurstMessage[]>("ai:pending")) ?? [];
          const conversation = await this.ctx.storage.get<AgentConversation>("ai:conversation");
          if (!pending.length || !conversation || dueAt === undefined || dueAt > Date.now()) return;
          const { timeoutSeconds, ...rest } = conversation;
          turn = {
            ...rest,
            executionId: await executionIdFor(conversation.sessionId, pending[0]!.messageId),
            messages: pending,
            startedAt: Date.now(),
            timeoutSeconds,
          };
          // The turn is stored, and the burst taken, before anything is done for it.
          await this.ctx.storage.put({ "ai:current": turn, "ai:pending": [] });
          await this.ctx.storage.delete("ai:dueAt");
          await this.schedule();
        }
        try {
          await this.runOne(turn);
        } catch (err) {
          // Retried (the alarm fails and runs again) until it has failed MAX_TURN_ATTEMPTS times; then abandoned.
          const attempts = (turn.attempts ?? 0) + 1;
          if (attempts < MAX_TURN_ATTEMPTS) {
            await this.ctx.storage.put("ai:current", { ...turn, attempts });
            throw err;
          }
          await this.abandon(turn, err);
        }
        await this.ctx.storage.delete("ai:current");
        await this.forgetOldSeen();
      }
    } finally {
      this.turnRunning = false;
    }
  }

  private async runOne(turn: Turn) {
    const config = parseConfig(this.env);
    const log = createLogger({ durableObject: "SessionRoom", sessionId: turn.sessionId, executionId: turn.executionId }, config.LOG_LEVEL);
    const db = databaseFor(config);
    try {
      const outcome = await runTurn(
        {
          db,
          log,
          agentService: agentServiceFromEnv(this.env),
          signingSecret: config.JWT_SECRET,
          mcpUrl: config.PUBLIC_BASE_URL,
          relay: async (topic, payload) => {
            await this.publish(topic, { ...payload, topic });
          },
          publish: async (events, alongside) => {
            await publishOutbox(db, this.env.EVENTS, log, { events, beforeSend: (messages) => this.pushLive(messages), alongside });
          },
          deliverNow: async (messageId) => {
            const svc = createServiceContext(
              db,
              { tenantId: turn.tenantId, projectId: turn.projectId, role: "admin", actor: { type: "system", id: "ai:deliver" } },
              log,
            );
            const result = await deliverMessage(svc, messageId, 1, { wahaTimeoutMs: config.WAHA_TIMEOUT_MS });
            const written = svc.outbox.takePending();
            if (written.length)
              await publishOutbox(db, this.env.EVENTS, log, { events: written, beforeSend: (messages) => this.pushLive(messages) });
            log.info("ai reply delivery", { messageId, outcome: result.outcome });
          },
        },
        turn,
      );
      log.info("ai turn", { ...outcome });
    } catch (err) {
      // Left stored: the watchdog alarm runs it again under the same id.
      log.error("ai turn failed; will retry", { err });
      throw err;
    } finally {
      await db.close();
    }
  }

  private async abandon(turn: Turn, err: unknown) {
    const config = parseConfig(this.env);
    const log = createLogger({ durableObject: "SessionRoom", sessionId: turn.sessionId, executionId: turn.executionId }, config.LOG_LEVEL);
    const db = databaseFor(config);
    try {
      const marked = await abandonTurn(db, turn, `the turn failed ${MAX_TURN_ATTEMPTS} times: ${String((err as Error)?.message ?? err)}`);
      log.error("ai turn abandoned", { err, marked });
    } catch (markErr) {
      // The database is what keeps failing: the turn is dropped all the same, and says so.
      log.error("ai turn abandoned; its execution could not be marked failed", { err, markErr });
    } finally {
      await db.close();
    }
  }

  /** Live events of a turn: this room directly (no call to itself), the project's feed through its stub. */
  private async pushLive(messages: OutboxMessage[]) {
    for (const m of messages) {
      if (!live.has(m.topic) || !m.projectId) continue;
      const event = { ...m.payload, topic: m.topic };
      await this.env.PROJECT_FEED.get(this.env.PROJECT_FEED.idFromName(m.projectId)).publish(m.topic, event, m.id);
      const sessionId = typeof m.payload.sessionId === "string" ? m.payload.sessionId : undefined;
      const state = await this.ctx.storage.get<SessionState>("session");
      const mine =
        sessionId && (sessionId === state?.sessionId || sessionId === (await this.ctx.storage.get<Turn>("ai:current"))?.sessionId);
      if (mine) await this.publish(m.topic, event, m.id);
      else if (sessionId) await this.env.SESSION_ROOM.get(this.env.SESSION_ROOM.idFromName(sessionId)).publish(m.topic, event, m.id);
    }
  }

  private async forgetOldSeen() {
    const seen = await this.ctx.storage.list<number>({ prefix: "ai:seen:", limit: 1000 });
    const old = [...seen].filter(([, at]) => Date.now() - at > SEEN_TTL_MS).map(([k]) => k);
    if (old.length) await this.ctx.storage.delete(old);
  }

  private async expire() {
    const state = await this.ctx.storage.get<SessionState>("session");
    if (!state) {
      await this.ctx.storage.delete("expiresAt");
      return;
    }
    const config = parseConfig(this.env);
    const log = createLogger({ durableObject: "SessionRoom", sessionId: state.sessionId }, config.LOG_LEVEL);
    const db = databaseFor(config);
    try {
      const result = await expireIfIdle(db, state);
      if (result.state === "active") {
        // Activity the room did not see (e.g. a REST send): wait out the rest of the timeout.
        await this.ctx.storage.put("expiresAt", new Date(result.expires_at).getTime());
        return;
      }
      await this.ctx.storage.delete("expiresAt");
      if (result.state === "expired") {
        // Shown here at once and published for every other consumer; the queue's copy carries the same outbox id,
        // so this room shows the event once.
        await this.publish("session.ended", { ...result.payload, topic: "session.ended" }, result.outbox_id);
        const row = { id: result.outbox_id, topic: "session.ended" as const, payload: result.payload, ...state };
        await publishOutbox(db, this.env.EVENTS, log, { events: [{ id: row.id, row }] });
      }
    } finally {
      await db.close();
    }
  }
}
