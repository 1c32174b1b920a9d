import { and, eq, inArray, isNull } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { keyset, toPage } from "../../lib/pagination";
import type { ServiceContext } from "../context";
import { deleteScoped, findScoped, type PageQuery, requireFound, updateScoped } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";

export const ListInput = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).nullish(),
});
export const MembersInput = z.object({ contactIds: z.array(z.uuid()).min(1).max(500) });

export async function createList(ctx: ServiceContext, input: z.infer<typeof ListInput>) {
  const id = uuidv7();
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.contactLists)
      .values({ id, ...scopeValues(ctx.principal), ...input })
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("list.created", { listId: id, name: input.name })),
  ] as const);
  return row!;
}

export async function updateList(ctx: ServiceContext, id: string, input: Partial<z.infer<typeof ListInput>>) {
  return updateScoped(ctx, schema.contactLists, id, "Contact list", input, { topic: "list.updated", idKey: "listId" });
}

export const deleteList = (ctx: ServiceContext, id: string) =>
  deleteScoped(ctx, schema.contactLists, id, "Contact list", { topic: "list.deleted", idKey: "listId" });

/** Adds contacts; those already members are skipped. Every id must be a live contact of the project. */
export async function addMembers(ctx: ServiceContext, listId: string, contactIds: string[]) {
  await findScoped(ctx, schema.contactLists, listId, "Contact list");
  const ids = [...new Set(contactIds)];
  const found = await ctx.db.query
    .select({ id: schema.contacts.id })
    .from(schema.contacts)
    .where(inScope(schema.contacts, ctx.principal, inArray(schema.contacts.id, ids), isNull(schema.contacts.deletedAt)));
  const missing = ids.filter((id) => !found.some((f) => f.id === id));
  if (missing.length) throw new AppError("unprocessable", `Unknown contacts: ${missing.join(", ")}`, { missing });
  const scope = scopeValues(ctx.principal);
  // Interactive: only the contacts that were not members yet get an event.
  const added = await ctx.db.transaction(async (tx) => {
    const rows = await tx
      .insert(schema.contactListMembers)
      .values(ids.map((contactId) => ({ ...scope, listId, contactId })))
      .onConflictDoNothing()
      .returning({ contactId: schema.contactListMembers.contactId });
    if (rows.length) {
      await tx.insert(schema.outbox).values(rows.map((a) => ctx.outbox.event("list.member_added", { listId, contactId: a.contactId })));
    }
    return rows;
  });
  return { added: added.length, alreadyMembers: ids.length - added.length };
}

export async function removeMember(ctx: ServiceContext, listId: string, contactId: string) {
  await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .delete(schema.contactListMembers)
      .where(
        inScope(
          schema.contactListMembers,
          ctx.principal,
          and(eq(schema.contactListMembers.listId, listId), eq(schema.contactListMembers.contactId, contactId)),
        ),
      )
      .returning({ contactId: schema.contactListMembers.contactId });
    requireFound(row, "List member", contactId);
    await tx.insert(schema.outbox).values(ctx.outbox.event("list.member_removed", { listId, contactId }));
  });
}

export async function listMembers(ctx: ServiceContext, listId: string, q: PageQuery) {
  await findScoped(ctx, schema.contactLists, listId, "Contact list");
  const m = schema.contactListMembers;
  const page = keyset({ id: m.contactId, direction: "desc", cursor: q.cursor });
  const rows = await ctx.db.query
    .select({ contact: schema.contacts, addedAt: m.addedAt })
    .from(m)
    .innerJoin(schema.contacts, eq(schema.contacts.id, m.contactId))
    // Soft-deleted contacts keep their membership rows, like the rest of their history, but are gone from the list.
    .where(inScope(m, ctx.principal, eq(m.listId, listId), isNull(schema.contacts.deletedAt), page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  const found = toPage(rows, q.limit, (r) => [r.contact.id]);
  return { data: found.data.map((r) => ({ ...r.contact, addedAt: r.addedAt })), nextCursor: found.nextCursor };
}
