import { eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";
import { loadContact } from "./access";

/**
 * Soft delete: messages and history keep pointing at the contact. Identifiers are released so the same
 * WhatsApp number starts a fresh contact if it writes again.
 */
export async function deleteContact(ctx: ServiceContext, id: string) {
  await loadContact(ctx, id);
  await ctx.db.batch([
    ctx.db.query
      .update(schema.contacts)
      .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
      .where(inScope(schema.contacts, ctx.principal, eq(schema.contacts.id, id))),
    ctx.db.query
      .delete(schema.contactIdentifiers)
      .where(inScope(schema.contactIdentifiers, ctx.principal, eq(schema.contactIdentifiers.contactId, id))),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("contact.deleted", { contactId: id })),
  ]);
}
