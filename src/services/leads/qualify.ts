import { z } from "zod";
import { schema } from "../../db";
import { loadContact } from "../contacts/access";
import { updateContactVerb } from "../contacts/verbs";
import type { ServiceContext } from "../context";
import { moveContactStageVerb } from "../pipelines/verbs";
import { actorValues, scopeValues } from "../shared/scope";
import { callNested } from "../verbs/define";

export const QualifyLeadInput = z.object({
  contactId: z.uuid(),
  qualification: z.enum(["hot", "warm", "cold", "unqualified"]),
  score: z.number().int().min(0).max(100).optional(),
  reason: z.string().max(2000).optional(),
  stageId: z.uuid().optional().describe("Also move the contact to this pipeline stage"),
});

/**
 * Records a lead qualification: kept on the contact (custom fields `lead_qualification`, `lead_score`), on the
 * timeline with its reason, and optionally reflected by a stage move. The caller runs it in one transaction (the
 * verb declares it), so a failing stage move leaves no half-applied qualification.
 */
export async function qualifyLead(ctx: ServiceContext, input: z.infer<typeof QualifyLeadInput>) {
  const current = await loadContact(ctx, input.contactId);
  await callNested(updateContactVerb, ctx, {
    contactId: current.id,
    customFields: {
      lead_qualification: input.qualification,
      ...(input.score !== undefined ? { lead_score: input.score } : {}),
      lead_qualified_at: new Date().toISOString(),
    },
  });
  const payload = { qualification: input.qualification, score: input.score ?? null, reason: input.reason ?? null };
  await ctx.db.batch([
    ctx.db.query.insert(schema.contactEvents).values({
      ...scopeValues(ctx.principal),
      contactId: current.id,
      type: "lead.qualified",
      title: `Lead qualified as ${input.qualification}`,
      payload,
      ...actorValues(ctx.principal),
    }),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("lead.qualified", { contactId: current.id, ...payload })),
  ]);
  const stage = input.stageId
    ? await callNested(moveContactStageVerb, ctx, { contactId: current.id, stageId: input.stageId, reason: input.reason })
    : null;
  return { contactId: current.id, qualification: input.qualification, score: input.score ?? null, stage };
}
