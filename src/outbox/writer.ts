import type { schema } from "../db";
import { AppError } from "../lib/errors";
import { uuidv7 } from "../lib/ids";
import type { Topic } from "./events";

export type OutboxRow = typeof schema.outbox.$inferInsert & { id: string };

/**
 * Collects the outbox rows a service writes inside its transaction, so the transport can publish exactly those
 * rows right after commit (the periodic sweep catches anything a crash leaves behind).
 */
export class OutboxWriter {
  constructor(
    private readonly scope: { tenantId: string | null; projectId: string | null },
    private readonly written: string[] = [],
    private readonly allowed?: { topics: readonly Topic[]; by: string },
  ) {}

  /**
   * A view for one verb: same rows, but a topic the verb did not declare in `emits` fails before anything is
   * written — the declaration cannot drift from what the code does.
   */
  restrictedTo(topics: readonly Topic[], by: string): OutboxWriter {
    return new OutboxWriter(this.scope, this.written, { topics, by });
  }

  /** Builds the row; the caller inserts it in the same transaction/batch as the change it describes. */
  event(topic: Topic, payload: Record<string, unknown>): OutboxRow {
    if (this.allowed && !this.allowed.topics.includes(topic)) {
      throw new AppError("internal", `${this.allowed.by} wrote '${topic}', which it does not declare in emits`);
    }
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
