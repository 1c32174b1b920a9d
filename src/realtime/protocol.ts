/**
 * What the Worker and the streams (Durable Objects) agree on, and what clients see of it — kept free of runtime
 * imports so that the app (and Node scripts building it) can use it without loading the Durable Objects.
 */
/**
 * Close codes a client can act on: 4401 — the credential expired (reconnect with a fresh token); 4403 — access was
 * revoked (API key revoked, member removed, account disabled): reconnecting with the same credential is refused.
 */
export const CLOSE_CREDENTIAL_EXPIRED = 4401;
export const CLOSE_ACCESS_REVOKED = 4403;
/**
 * A socket's credential is re-checked against the database at most this often, before a send. Revocations also
 * reach the streams at once as events (`api_key.revoked`, `member.removed`); this bounds what a missed one costs.
 */
export const REVALIDATE_MS = 30_000;

/** The headers the Worker sets when it forwards an authenticated upgrade (a client's own are stripped). */
export const FORWARDED = {
  actor: "x-ventros-actor",
  actorType: "x-ventros-actor-type",
  projectId: "x-ventros-project",
  expiresAt: "x-ventros-credential-expires",
} as const;
