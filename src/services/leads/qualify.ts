import { z } from "zod";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { loadContact } from "../contacts/access";
import { updateContact } from "../contacts/update";
import { moveContactToStage } from "../pipelines";
import { actorValues, scopeValues } from "../shared/scope";

export const QualifyLeadInput = z.object({
  contact_id: z.uuid(),
  qualification: z.enum(["hot", "warm", "cold", "unqualified"]),
  score: z.number().int().min(0).max(100).optional(),
  reason: z.string().max(2000).optional(),
  stage_id: z.uuid().optional().describe("Also move the contact to this pipeline stage"),
});

/**
 * Records a lead qualification: kept on the contact (custom fields `lead_qualification`, `lead_score`), on the
 * timeline with its reason, and optionally reflected by a stage move.
 */
export async function qualifyLead(ctx: ServiceContext, input: z.infer<typeof QualifyLeadInput>) {
  const current = await loadContact(ctx, input.contact_id);
  await updateContact(ctx, current.id, {
    customFields: {
      lead_qualification: input.qualification,
      ...(input.score !== undefined ? { lead_score: input.score } : {}),
      lead_qualified_at: new Date().toISOString(),
    },
  });
  await ctx.db.query.insert(schema.contactEvents).values({
    ...scopeValues(ctx.principal),
    contactId: current.id,
    type: "lead.qualified",
    title: `Lead qualified as ${input.qualification}`,
    payload: { qualification: input.qualification, score: input.score ?? null, reason: input.reason ?? null },
    ...actorValues(ctx.principal),
  });
  const stage = input.stage_id ? await moveContactToStage(ctx, current.id, { stageId: input.stage_id, reason: input.reason }) : null;
  return { contactId: current.id, qualification: input.qualification, score: input.score ?? null, stage };
}
