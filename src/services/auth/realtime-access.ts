import { and, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import { type Database, schema } from "../../db";

/** Who holds a live connection (WebSocket): a user (access token) or an API key. */
export interface RealtimeActor {
  type: "user" | "api_key";
  id: string;
}

/**
 * Which of these actors may still read the project: API keys neither revoked nor expired, users who are still
 * members and not disabled. One HTTP round trip; answers `type:id` keys.
 */
export async function stillAuthorized(db: Database, projectId: string, actors: RealtimeActor[]): Promise<Set<string>> {
  const keyIds = [...new Set(actors.filter((a) => a.type === "api_key").map((a) => a.id))].filter(isUuid);
  const userIds = [...new Set(actors.filter((a) => a.type === "user").map((a) => a.id))].filter(isUuid);
  const k = schema.apiKeys;
  const m = schema.memberships;
  const u = schema.users;
  const [keys, users] = await db.batch([
    db.query
      .select({ id: k.id })
      .from(k)
      .where(
        and(
          eq(k.projectId, projectId),
          inArray(k.id, keyIds.length ? keyIds : [NIL]),
          isNull(k.revokedAt),
          or(isNull(k.expiresAt), gt(k.expiresAt, sql`now()`)),
        ),
      ),
    db.query
      .select({ id: m.userId })
      .from(m)
      .innerJoin(u, eq(u.id, m.userId))
      .where(and(eq(m.projectId, projectId), inArray(m.userId, userIds.length ? userIds : [NIL]), isNull(u.disabledAt))),
  ]);
  return new Set([...keys.map((r) => `api_key:${r.id}`), ...users.map((r) => `user:${r.id}`)]);
}

const NIL = "00000000-0000-0000-0000-000000000000";
const isUuid = (s: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
