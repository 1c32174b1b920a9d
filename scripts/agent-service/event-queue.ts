/**
 * Events produced by a running execution, read by whoever is streaming them. The execution pushes whether or not
 * anyone reads, so it does not stop when a client goes away: only CancelExecution or its own deadline stop it.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private ended = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  push(item: T) {
    this.items.push(item);
    this.notify();
  }

  end(failure?: unknown) {
    this.ended = true;
    this.failure = failure;
    this.notify();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length) {
        yield this.items.shift()!;
        continue;
      }
      if (this.ended) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private notify() {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
