import { databaseFor, parseConfig } from "../env";
import { createLogger } from "../lib/logger";
import { publishOutbox } from "../outbox/publisher";
import { expireIdleSession } from "../services/sessions/expire";
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
      const result = await expireIdleSession(db, state);
      if (result.outcome === "active") {
        // Activity the room did not see (e.g. a REST send): wait out the rest of the timeout.
        await this.ctx.storage.setAlarm(result.expiresAt.getTime());
        return;
      }
      if (result.outcome === "expired") {
        await publishOutbox(db, this.env.EVENTS, log, { ids: result.outboxIds });
        await this.publish("session.ended", { sessionId: state.sessionId, status: "expired", reason: "inactivity" });
      }
    } finally {
      await db.close();
    }
  }
}
