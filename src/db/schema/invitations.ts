import { sql } from "drizzle-orm";
import { index, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { roleEnum } from "./enums";
import { scope } from "./scope";
import { users } from "./tenancy";

/**
 * Invitations to join a project. Adding someone by e-mail creates one; the invitee accepts it with the token that
 * was delivered to that address (logged in as that e-mail, or by creating the account). The token itself is never
 * stored: it is a MAC of the invitation id under the deployment's secret.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: id(),
    ...scope(),
    /** Lower-cased. */
    email: text("email").notNull(),
    role: roleEnum("role").notNull(),
    /** The actor (user or API key id) that invited. */
    invitedBy: text("invited_by").notNull(),
    expiresAt: ts("expires_at").notNull(),
    acceptedAt: ts("accepted_at"),
    acceptedByUserId: uuid("accepted_by_user_id").references(() => users.id, { onDelete: "set null" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One pending invitation per address and project: inviting again renews it.
    uniqueIndex("invitations_pending_uq").on(t.projectId, t.email).where(sql`${t.acceptedAt} is null`),
    index("invitations_scope_idx").on(t.tenantId, t.projectId, t.createdAt),
  ],
);
