import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { type Database, schema } from "../../db";
import { concatBytes, fromBase64Url, sha256HexBytes, toBase64Url } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../context";

export const IDEMPOTENCY_TTL_HOURS = 24;
/**
 * How long a reservation holds its key while its request runs. A request that died (isolate evicted, client gone,
 * database failing) leaves a reservation without a response; once the lease has passed, the key is free again.
 * Every database call is bounded by its own timeout, so a live request finishes well within it.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 60;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POST (IETF draft semantics): the first request with a key runs and its response is stored;
 * a retry with the same key and body gets the stored response (`Idempotent-Replayed: true`); the same key with a
 * different body is 422; a retry while the first is still running (within its lease) is 409. Only successes are
 * stored: a failed request changed nothing, so its retry runs again. Keys are scoped to the caller and project and
 * kept 24 hours.
 *
 * Stored responses can carry secrets (a new API key, a channel's webhook secret): every stored body is encrypted
 * with AES-GCM under a key derived (HKDF) from the caller's bearer credential, which the database never holds — a
 * reader of the table learns nothing, and only a request presenting the same credential can replay it. A retry with
 * another credential of the same actor (e.g. a refreshed access token) gets 409 `idempotency_credential_changed`.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_RE.test(key)) throw new AppError("invalid_request", "Idempotency-Key must be 1–255 visible ASCII characters");

  const { db, principal } = c.var;
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (!bearer) throw new AppError("unauthorized", "Idempotency-Key needs a bearer credential");
  // Hashed as bytes: reading the body as text would cache a lossy UTF-8 copy that later readers (a multipart
  // upload's form) would then be given instead of the bytes sent.
  const requestHash = await sha256HexBytes(
    concatBytes(new TextEncoder().encode(`${c.req.method} ${c.req.path}\n`), new Uint8Array(await c.req.arrayBuffer())),
  );
  const k = schema.idempotencyKeys;
  const scope = and(eq(k.projectId, principal.projectId), eq(k.actorId, principal.actor.id), eq(k.key, key));
  // A key older than the retention window, or a reservation whose lease ran out, is forgotten before it is claimed.
  const [, claimed] = await db.batch([
    db.query
      .delete(k)
      .where(
        and(
          scope,
          or(
            lt(k.createdAt, sql`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`),
            and(isNull(k.status), lt(k.createdAt, sql`now() - make_interval(secs => ${IDEMPOTENCY_LEASE_SECONDS})`)),
          ),
        ),
      ),
    db.query
      .insert(k)
      .values({
        tenantId: principal.tenantId,
        projectId: principal.projectId,
        actorId: principal.actor.id,
        key,
        method: c.req.method,
        path: c.req.path,
        requestHash,
      })
      .onConflictDoNothing()
      .returning({ id: k.id }),
  ]);
  const sealing = { bearer, context: `${principal.projectId}\n${principal.actor.id}\n${key}`, requestHash };
  if (claimed.length === 0) return replay(c, db, scope, sealing);

  const id = claimed[0]!.id;
  // Freeing the key is best effort: if it fails (the database is what failed), the lease frees it.
  const release = () =>
    db.query
      .delete(k)
      .where(eq(k.id, id))
      .catch(() => {});
  try {
    await next();
  } catch (err) {
    await release();
    throw err;
  }
  if (c.res.status < 200 || c.res.status >= 300) {
    await release();
    return;
  }
  const text = await c.res.clone().text();
  await db.query
    .update(k)
    .set({ status: c.res.status, responseBody: text ? await seal(text, sealing) : null })
    .where(eq(k.id, id));
});

interface Sealing {
  bearer: string;
  /** Project, actor and key: the derived key is specific to this reservation's scope. */
  context: string;
  /** Bound as associated data: the ciphertext only opens for the request it answered. */
  requestHash: string;
}

const SEALED = "A256GCM+HKDF-SHA256(bearer)";
interface SealedBody {
  sealed: typeof SEALED;
  iv: string;
  ct: string;
}
const isSealed = (v: unknown): v is SealedBody => (v as SealedBody | null)?.sealed === SEALED;
const encoder = new TextEncoder();

async function responseKey(s: Sealing): Promise<CryptoKey> {
  const ikm = await crypto.subtle.importKey("raw", encoder.encode(s.bearer), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: encoder.encode("ventros/idempotency/v1"), info: encoder.encode(s.context) },
    ikm,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

async function seal(text: string, s: Sealing): Promise<SealedBody> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(s.requestHash) },
    await responseKey(s),
    encoder.encode(text),
  );
  return { sealed: SEALED, iv: toBase64Url(iv), ct: toBase64Url(new Uint8Array(ct)) };
}

async function open(body: SealedBody, s: Sealing): Promise<string | undefined> {
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64Url(body.iv), additionalData: encoder.encode(s.requestHash) },
      await responseKey(s),
      fromBase64Url(body.ct),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return undefined;
  }
}

async function replay(
  c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0],
  db: Database,
  scope: ReturnType<typeof and>,
  sealing: Sealing,
) {
  const k = schema.idempotencyKeys;
  const [stored] = await db.query.select().from(k).where(scope);
  const processing = () =>
    new AppError("conflict", "A request with this Idempotency-Key is being processed; retry shortly", {
      reason: "idempotency_in_progress",
      retryAfterSeconds: 1,
    });
  if (!stored) throw processing();
  if (stored.requestHash !== sealing.requestHash) {
    throw new AppError("unprocessable", "This Idempotency-Key was used with a different request", [
      { path: "Idempotency-Key", message: "reused with a different request" },
    ]);
  }
  if (stored.status === null) throw processing();
  c.header("Idempotent-Replayed", "true");
  if (stored.responseBody === null) return c.body(null, stored.status as 204);
  let body: unknown = stored.responseBody;
  if (isSealed(body)) {
    const text = await open(body, sealing);
    if (text === undefined) {
      throw new AppError(
        "conflict",
        "The response to this Idempotency-Key is stored encrypted under the credential that sent the original request; " +
          "replay it with that same credential (or use a new key)",
        { reason: "idempotency_credential_changed" },
      );
    }
    body = JSON.parse(text);
  }
  return c.json(body as object, stored.status as 200);
}
