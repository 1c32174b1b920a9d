import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts } from "./columns";
import { scope } from "./scope";
import { users } from "./tenancy";

/** Rotating refresh tokens: each use replaces the token; reusing a replaced one revokes its whole family. */
export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: id(),
    ...scope(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: uuid("family_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: ts("expires_at").notNull(),
    revokedAt: ts("revoked_at"),
    replacedById: uuid("replaced_by_id"),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("refresh_tokens_hash_uq").on(t.tokenHash),
    index("refresh_tokens_family_idx").on(t.familyId),
    index("refresh_tokens_scope_user_idx").on(t.tenantId, t.projectId, t.userId),
  ],
);

/** Stored responses of POSTs sent with an Idempotency-Key, replayed when the same key comes again. */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    id: id(),
    ...scope(),
    actorId: text("actor_id").notNull(),
    key: text("key").notNull(),
    method: text("method").notNull(),
    path: text("path").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status"),
    responseBody: jsonb("response_body").$type<unknown>(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("idempotency_keys_uq").on(t.projectId, t.actorId, t.key), index("idempotency_keys_created_idx").on(t.createdAt)],
);
