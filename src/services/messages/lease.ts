/**
 * A send claim is a lease of this many seconds (see deliver.ts). Kept in its own module so the configuration
 * (env.ts) can bound WAHA_TIMEOUT_MS by it without importing the delivery service.
 */
export const CLAIM_LEASE_SECONDS = 120;
/**
 * The longest WAHA_TIMEOUT_MS may be: a third of the lease, so the chat lookup (one overall deadline) and the send
 * (renewed lease) each end well inside a lease.
 */
export const MAX_WAHA_TIMEOUT_MS = Math.floor((CLAIM_LEASE_SECONDS * 1000) / 3);

/** Deliveries of a queue event before it is dead-lettered: `max_retries` (wrangler.toml, 5) + 1. */
export const QUEUE_DELIVERIES = 6;
/** The consumer's backoff before redelivering an event that failed on its `attempts`-th delivery. */
export const queueRetryDelaySeconds = (attempts: number) => Math.min(300, 2 ** attempts * 5);
/**
 * An outbound message still `queued`, unclaimed and untouched this long has no live queue event left (its event was
 * lost, or dead-lettered without the message being marked): every backoff of the queue, plus a margin.
 */
export const ORPHANED_SEND_SECONDS =
  Array.from({ length: QUEUE_DELIVERIES - 1 }, (_, i) => queueRetryDelaySeconds(i + 1)).reduce((a, b) => a + b, 0) + 300;
