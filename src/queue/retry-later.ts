/** Cloudflare Queues refuses a retry delay longer than 12 hours. */
const MAX_RETRY_DELAY_SECONDS = 43_200;

/** Thrown by a handler that knows nothing can be decided before `delaySeconds` (the backoff applies if longer). */
export class RetryLater extends Error {
  readonly delaySeconds: number;
  constructor(message: string, delaySeconds = 0) {
    super(message);
    this.delaySeconds = Math.min(Math.max(delaySeconds, 0), MAX_RETRY_DELAY_SECONDS);
  }
}
