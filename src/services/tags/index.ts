import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { uuidv7 } from "../../lib/ids";
import { authorize } from "../auth/permissions";
import { assertCanWorkContact, loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { deleteScoped, findScoped, requireFound, updateScoped } from "../shared/crud";
import { actorValues, inScope, scopeValues } from "../shared/scope";
import { withTransaction } from "../shared/transaction";

export const TagInput = z.object({
  name: z.string().trim().min(1).max(60),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, "must be a hex colour like #22c55e")
    .nullish(),
});

export const listTags = (ctx: ServiceContext) =>
  ctx.db.query.select().from(schema.tags).where(inScope(schema.tags, ctx.principal)).orderBy(asc(schema.tags.name));

export async function createTag(ctx: ServiceContext, input: z.infer<typeof TagInput>) {
  const id = uuidv7();
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.tags)
      .values({ id, ...scopeValues(ctx.principal), ...input })
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("tag.created", { tagId: id, name: input.name })),
  ] as const);
  return row!;
}

export async function updateTag(ctx: ServiceContext, id: string, input: Partial<z.infer<typeof TagInput>>) {
  return updateScoped(ctx, schema.tags, id, "Tag", input, { topic: "tag.updated", idKey: "tagId" });
}

export const deleteTag = (ctx: ServiceContext, id: string) =>
  deleteScoped(ctx, schema.tags, id, "Tag", { topic: "tag.deleted", idKey: "tagId" });

/** Attaching twice is a no-op (no second timeline row, no second event). */
export async function attachTag(ctx: ServiceContext, contactId: string, tagId: string) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const tag = await findScoped(ctx, schema.tags, tagId, "Tag");
  const scope = scopeValues(ctx.principal);
  await ctx.db.transaction(async (tx) => {
    const inserted = await tx
      .insert(schema.contactTags)
      .values({ ...scope, contactId, tagId })
      .onConflictDoNothing()
      .returning({ tagId: schema.contactTags.tagId });
    if (!inserted.length) return;
    await tx.insert(schema.contactEvents).values({
      ...scope,
      contactId,
      type: "tag.added",
      title: `Tag “${tag.name}” added`,
      payload: { tagId, name: tag.name },
      ...actorValues(ctx.principal),
    });
    await tx.insert(schema.outbox).values(ctx.outbox.event("tag.added", { contactId, tagId, name: tag.name }));
  });
  return tag;
}

export async function detachTag(ctx: ServiceContext, contactId: string, tagId: string) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const scope = scopeValues(ctx.principal);
  await ctx.db.transaction(async (tx) => {
    const removed = await tx
      .delete(schema.contactTags)
      .where(
        inScope(schema.contactTags, ctx.principal, and(eq(schema.contactTags.contactId, contactId), eq(schema.contactTags.tagId, tagId))),
      )
      .returning({ tagId: schema.contactTags.tagId });
    requireFound(removed[0], "Tag on contact", tagId);
    await tx
      .insert(schema.contactEvents)
      .values({ ...scope, contactId, type: "tag.removed", title: "Tag removed", payload: { tagId }, ...actorValues(ctx.principal) });
    await tx.insert(schema.outbox).values(ctx.outbox.event("tag.removed", { contactId, tagId }));
  });
}

/**
 * Attaches a tag by name. A name the project does not have yet creates the tag — which is managing tags, so it
 * needs `tags:manage` like creating one directly; creation and attachment commit together.
 */
export async function attachTagByName(ctx: ServiceContext, contactId: string, name: string) {
  const trimmed = name.trim();
  return withTransaction(ctx, async (tx) => {
    const [existing] = await tx.db.query
      .select()
      .from(schema.tags)
      .where(inScope(schema.tags, tx.principal, sql`lower(${schema.tags.name}) = lower(${trimmed})`));
    if (existing) return attachTag(tx, contactId, existing.id);
    authorize(tx.principal, "tags:manage");
    await loadContact(tx, contactId);
    const created = await createTag(tx, { name: trimmed });
    return attachTag(tx, contactId, created.id);
  });
}
