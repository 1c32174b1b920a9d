import { and, eq } from "drizzle-orm";
import type { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { changeWithEvent } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";
import { assertCanWorkContact, loadContact } from "./access";
import type { IdentifierInput } from "./schemas";
import { normalizePhone } from "./schemas";

export async function addIdentifier(ctx: ServiceContext, contactId: string, input: z.infer<typeof IdentifierInput>) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const value = input.kind === "phone" ? normalizePhone(input.value) : input.value;
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.contactIdentifiers)
      .values({ ...scopeValues(ctx.principal), contactId, kind: input.kind, value })
      .returning({ id: schema.contactIdentifiers.id, kind: schema.contactIdentifiers.kind, value: schema.contactIdentifiers.value }),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("contact.identifier_added", { contactId, kind: input.kind, value })),
  ] as const);
  return row!;
}

export async function removeIdentifier(ctx: ServiceContext, contactId: string, identifierId: string) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const [found] = await ctx.db.query
    .select({ id: schema.contactIdentifiers.id, kind: schema.contactIdentifiers.kind, value: schema.contactIdentifiers.value })
    .from(schema.contactIdentifiers)
    .where(
      inScope(
        schema.contactIdentifiers,
        ctx.principal,
        and(eq(schema.contactIdentifiers.id, identifierId), eq(schema.contactIdentifiers.contactId, contactId)),
      ),
    );
  if (!found) throw AppError.notFound("Identifier", identifierId);
  const [removed] = await changeWithEvent(
    ctx,
    schema.contactIdentifiers,
    ctx.db.query
      .delete(schema.contactIdentifiers)
      .where(inScope(schema.contactIdentifiers, ctx.principal, eq(schema.contactIdentifiers.id, identifierId))),
    ctx.outbox.event("contact.identifier_removed", { contactId, kind: found.kind, value: found.value }),
  );
  if (!removed) throw AppError.notFound("Identifier", identifierId);
}
