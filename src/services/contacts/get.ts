import { and, eq, isNull } from "drizzle-orm";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";

/** The contact with identifiers, tags and pipeline stages, read in one HTTP round trip. */
export async function getContact(ctx: ServiceContext, id: string) {
  const p = ctx.principal;
  const [contacts, identifiers, tags, stages] = await ctx.db.batch([
    ctx.db.query
      .select()
      .from(schema.contacts)
      .where(inScope(schema.contacts, p, eq(schema.contacts.id, id), isNull(schema.contacts.deletedAt))),
    ctx.db.query
      .select({ id: schema.contactIdentifiers.id, kind: schema.contactIdentifiers.kind, value: schema.contactIdentifiers.value })
      .from(schema.contactIdentifiers)
      .where(inScope(schema.contactIdentifiers, p, eq(schema.contactIdentifiers.contactId, id))),
    ctx.db.query
      .select({ id: schema.tags.id, name: schema.tags.name, color: schema.tags.color })
      .from(schema.contactTags)
      .innerJoin(schema.tags, eq(schema.tags.id, schema.contactTags.tagId))
      .where(inScope(schema.contactTags, p, eq(schema.contactTags.contactId, id))),
    ctx.db.query
      .select({
        pipelineId: schema.contactStages.pipelineId,
        stageId: schema.contactStages.stageId,
        stageName: schema.stages.name,
        enteredAt: schema.contactStages.enteredAt,
      })
      .from(schema.contactStages)
      .innerJoin(schema.stages, and(eq(schema.stages.id, schema.contactStages.stageId)))
      .where(inScope(schema.contactStages, p, eq(schema.contactStages.contactId, id))),
  ] as const);
  const contact = contacts[0];
  if (!contact) throw AppError.notFound("Contact", id);
  return { ...contact, identifiers, tags, stages };
}
