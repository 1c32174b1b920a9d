import type { schema } from "../db";
import { AppError } from "../lib/errors";
import { uuidv7 } from "../lib/ids";
import type { Topic } from "./events";

export type OutboxRow = typeof schema.outbox.$inferInsert & { id: string; topic: Topic; payload: Record<string, unknown> };

/**
 * An event to publish after commit: its row when the writer knows it was committed (no need to read it back), or
 * only its id (written by SQL, or by a call that failed part-way: the publisher reads what actually committed).
 */
export interface PendingEvent {
  id: string;
  row?: OutboxRow;
}

interface Entry {
  id: string;
  row?: OutboxRow;
  confirmed: boolean;
}

/**
 * Collects the outbox rows a service writes inside its transaction, so the transport can publish exactly those
 * rows right after commit (the periodic sweep catches anything a crash leaves behind).
 */
export class OutboxWriter {
  constructor(
    private readonly scope: { tenantId: string | null; projectId: string | null },
    private readonly entries: Entry[] = [],
    private readonly allowed?: { topics: readonly Topic[]; by: string },
  ) {}

  /**
   * A view for one verb: same rows, but a topic the verb did not declare in `emits` fails before anything is
   * written — the declaration cannot drift from what the code does.
   */
  restrictedTo(topics: readonly Topic[], by: string): OutboxWriter {
    return new OutboxWriter(this.scope, this.entries, { topics, by });
  }

  /** Builds the row; the caller inserts it in the same transaction/batch as the change it describes. */
  event(topic: Topic, payload: Record<string, unknown>): OutboxRow {
    if (this.allowed && !this.allowed.topics.includes(topic)) {
      throw new AppError("internal", `${this.allowed.by} wrote '${topic}', which it does not declare in emits`);
    }
    const row: OutboxRow = { id: uuidv7(), topic, payload, tenantId: this.scope.tenantId, projectId: this.scope.projectId };
    this.entries.push({ id: row.id, row, confirmed: false });
    return row;
  }

  /** Records rows written elsewhere (e.g. by a SQL statement) so they are published with the rest. */
  track(id: string, row?: OutboxRow): void {
    this.entries.push({ id, row, confirmed: row !== undefined });
  }

  /**
   * Forgets rows built with `event` that were never written (the statement that would have written them decided
   * not to): nothing is published for them, not even a read-back by id.
   */
  discard(ids: readonly string[]): void {
    for (let i = this.entries.length - 1; i >= 0; i--) if (ids.includes(this.entries[i]!.id)) this.entries.splice(i, 1);
  }

  /** A position to confirm from once the writes made after it are known to have committed. */
  mark(): number {
    return this.entries.length;
  }

  /**
   * The rows built since `mark` were committed (a verb returned outside any open transaction): they can be
   * published from memory. Rows never confirmed are published by id, from what the database holds.
   */
  confirmSince(mark: number): void {
    for (let i = mark; i < this.entries.length; i++) this.entries[i]!.confirmed = true;
  }

  /** Everything written so far, drained. */
  takePending(): PendingEvent[] {
    return this.entries.splice(0).map((e) => (e.confirmed && e.row ? { id: e.id, row: e.row } : { id: e.id }));
  }

  /** Ids written so far, drained; only meaningful once the transaction committed. */
  takeWritten(): string[] {
    return this.takePending().map((e) => e.id);
  }
}
