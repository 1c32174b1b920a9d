import { schema } from "../db";
import { uuidv7 } from "../lib/ids";
import type { Topic } from "./events";

export type OutboxRow = typeof schema.outbox.$inferInsert & { id: string };

/**
 * Collects the outbox rows a service writes inside its transaction, so the transport can publish exactly those
 * rows right after commit (the periodic sweep catches anything a crash leaves behind).
 */
export class OutboxWriter {
  private readonly written: string[] = [];

  constructor(private readonly scope: { tenantId: string | null; projectId: string | null }) {}

  /** Builds the row; the caller inserts it in the same transaction/batch as the change it describes. */
  event(topic: Topic, payload: Record<string, unknown>): OutboxRow {
    const id = uuidv7();
    this.written.push(id);
    return { id, topic, payload, tenantId: this.scope.tenantId, projectId: this.scope.projectId };
  }

  /** Records rows written elsewhere (e.g. by a SQL statement) so they are published with the rest. */
  track(id: string): void {
    this.written.push(id);
  }

  /** Ids written so far; only meaningful once the transaction committed. */
  takeWritten(): string[] {
    return this.written.splice(0);
  }
}
