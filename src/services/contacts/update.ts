import { and, eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { actorValues, inScope, scopeValues } from "../shared/scope";
import { assertAgentInScope, assertCanWorkContact, loadContact } from "./access";
import { type ContactUpdateInput, normalizePhone } from "./schemas";

export async function updateContact(ctx: ServiceContext, id: string, input: ContactUpdateInput) {
  const current = await loadContact(ctx, id);
  await assertCanWorkContact(ctx, current);
  if (input.assignedAgentId !== undefined) await assertAgentInScope(ctx, input.assignedAgentId);

  const { customFields, ...fields } = input;
  const changes: Partial<typeof schema.contacts.$inferInsert> = { ...fields };
  if (fields.phone !== undefined) changes.phone = fields.phone ? normalizePhone(fields.phone) : null;
  if (customFields) {
    const merged = { ...current.customFields };
    for (const [k, v] of Object.entries(customFields)) {
      if (v === null) delete merged[k];
      else merged[k] = v;
    }
    changes.customFields = merged;
  }
  const changed = Object.keys(changes).filter(
    (k) =>
      JSON.stringify((current as Record<string, unknown>)[k] ?? null) !== JSON.stringify((changes as Record<string, unknown>)[k] ?? null),
  );
  if (changed.length === 0) return current;

  const scope = scopeValues(ctx.principal);
  const phoneChanged = changed.includes("phone");
  const assigned = changed.includes("assignedAgentId");
  const [[updated]] = await ctx.db.batch([
    ctx.db.query
      .update(schema.contacts)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(inScope(schema.contacts, ctx.principal, eq(schema.contacts.id, id)))
      .returning(),
    ctx.db.query.insert(schema.contactEvents).values({
      ...scope,
      contactId: id,
      type: assigned ? "contact.assigned" : "contact.updated",
      title: assigned ? "Contact assigned" : "Contact updated",
      payload: { fields: changed, ...(assigned ? { assignedAgentId: changes.assignedAgentId ?? null } : {}) },
      ...actorValues(ctx.principal),
    }),
    ctx.db.query.insert(schema.outbox).values(
      ctx.outbox.event(assigned ? "contact.assigned" : "contact.updated", {
        contactId: id,
        fields: changed,
        assignedAgentId: changes.assignedAgentId ?? null,
      }),
    ),
    // The phone identifier follows the phone field so WhatsApp messages from the new number find this contact.
    ...(phoneChanged
      ? [
          ctx.db.query
            .delete(schema.contactIdentifiers)
            .where(
              inScope(
                schema.contactIdentifiers,
                ctx.principal,
                and(eq(schema.contactIdentifiers.contactId, id), eq(schema.contactIdentifiers.kind, "phone")),
              ),
            ),
          ...(changes.phone
            ? [
                ctx.db.query
                  .insert(schema.contactIdentifiers)
                  .values({ ...scope, contactId: id, kind: "phone" as const, value: changes.phone }),
              ]
            : []),
        ]
      : []),
  ] as const);
  return updated!;
}
