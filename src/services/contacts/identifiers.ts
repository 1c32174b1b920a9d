import { and, eq } from "drizzle-orm";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { inScope, scopeValues } from "../shared/scope";
import { assertCanWorkContact, loadContact } from "./access";
import { normalizePhone } from "./schemas";
import type { z } from "zod";
import type { IdentifierInput } from "./schemas";

export async function addIdentifier(ctx: ServiceContext, contactId: string, input: z.infer<typeof IdentifierInput>) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const value = input.kind === "phone" ? normalizePhone(input.value) : input.value;
  const [row] = await ctx.db.query
    .insert(schema.contactIdentifiers)
    .values({ ...scopeValues(ctx.principal), contactId, kind: input.kind, value })
    .returning({ id: schema.contactIdentifiers.id, kind: schema.contactIdentifiers.kind, value: schema.contactIdentifiers.value });
  return row!;
}

export async function removeIdentifier(ctx: ServiceContext, contactId: string, identifierId: string) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const deleted = await ctx.db.query
    .delete(schema.contactIdentifiers)
    .where(inScope(schema.contactIdentifiers, ctx.principal, and(eq(schema.contactIdentifiers.id, identifierId), eq(schema.contactIdentifiers.contactId, contactId))))
    .returning({ id: schema.contactIdentifiers.id });
  if (deleted.length === 0) throw AppError.notFound("Identifier", identifierId);
}
