import { databaseFor, parseConfig } from "../env";
import { createLogger } from "../lib/logger";
import { publishOutbox } from "../outbox/publisher";
import { expireIfIdle } from "../services/sessions/expire";
import { EventStream } from "./event-stream";

interface SessionState {
  sessionId: string;
  tenantId: string;
  projectId: string;
}

/**
 * One per conversation: its live events, and its inactivity timeout as an alarm — re-armed by every message,
 * firing once the conversation has been idle for its timeout.
 */
export class SessionRoom extends EventStream {
  /** Arms (or re-arms) the inactivity alarm; the caller read the session's expiry from the database. */
  async watch(state: SessionState, expiresAt: number): Promise<void> {
    await this.ctx.storage.put("session", state);
    await this.ctx.storage.setAlarm(expiresAt);
  }

  protected override async afterPublish(topic: string) {
    if (topic === "session.ended") await this.ctx.storage.deleteAlarm();
  }

  override async alarm() {
    const state = await this.ctx.storage.get<SessionState>("session");
    if (!state) return;
    const config = parseConfig(this.env);
    const log = createLogger({ durableObject: "SessionRoom", sessionId: state.sessionId }, config.LOG_LEVEL);
    const db = databaseFor(config);
    try {
      const result = await expireIfIdle(db, state);
      if (result.state === "active") {
        // Activity the room did not see (e.g. a REST send): wait out the rest of the timeout.
        await this.ctx.storage.setAlarm(new Date(result.expires_at).getTime());
        return;
      }
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
