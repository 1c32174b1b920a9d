import { and, eq, lt, sql } from "drizzle-orm";
import { createMiddleware } from "hono/factory";
import { type Database, schema } from "../../db";
import { sha256Hex } from "../../lib/crypto";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../context";

export const IDEMPOTENCY_TTL_HOURS = 24;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;

/**
 * `Idempotency-Key` on POST (IETF draft semantics): the first request with a key runs and its response is stored;
 * a retry with the same key and body gets the stored response (`Idempotent-Replayed: true`); the same key with a
 * different body is 422; a retry while the first is still running is 409. Only successes are stored: a failed
 * request changed nothing, so its retry runs again. Keys are scoped to the caller and project and kept 24 hours.
 */
export const idempotency = createMiddleware<AppEnv>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (c.req.method !== "POST" || key === undefined) return next();
  if (!KEY_RE.test(key)) throw new AppError("invalid_request", "Idempotency-Key must be 1–255 visible ASCII characters");

  const { db, principal } = c.var;
  const requestHash = await sha256Hex(`${c.req.method} ${c.req.path}\n${await c.req.text()}`);
  const k = schema.idempotencyKeys;
  const scope = and(eq(k.projectId, principal.projectId), eq(k.actorId, principal.actor.id), eq(k.key, key));
  // A key older than the retention window is forgotten before it is claimed again.
  const [, claimed] = await db.batch([
    db.query.delete(k).where(and(scope, lt(k.createdAt, sql`now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`))),
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
  if (claimed.length === 0) return replay(c, db, scope, requestHash);

  const id = claimed[0]!.id;
  try {
    await next();
  } catch (err) {
    await db.query.delete(k).where(eq(k.id, id));
    throw err;
  }
  if (c.res.status < 200 || c.res.status >= 300) {
    await db.query.delete(k).where(eq(k.id, id));
    return;
  }
  const text = await c.res.clone().text();
  await db.query
    .update(k)
    .set({ status: c.res.status, responseBody: text ? JSON.parse(text) : null })
    .where(eq(k.id, id));
});

async function replay(
  c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0],
  db: Database,
  scope: ReturnType<typeof and>,
  requestHash: string,
) {
  const k = schema.idempotencyKeys;
  const [stored] = await db.query.select().from(k).where(scope);
  if (!stored) throw new AppError("conflict", "A request with this Idempotency-Key is being processed; retry shortly");
  if (stored.requestHash !== requestHash) {
    throw new AppError("unprocessable", "This Idempotency-Key was used with a different request", [
      { path: "Idempotency-Key", message: "reused with a different request" },
    ]);
  }
  if (stored.status === null) throw new AppError("conflict", "A request with this Idempotency-Key is being processed; retry shortly");
  c.header("Idempotent-Replayed", "true");
  if (stored.responseBody === null) return c.body(null, stored.status as 204);
  return c.json(stored.responseBody as object, stored.status as 200);
}
