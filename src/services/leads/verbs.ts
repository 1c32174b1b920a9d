import { z } from "zod";
import { updateContactVerb } from "../contacts/verbs";
import { moveContactStageVerb } from "../pipelines/verbs";
import { defineVerb } from "../verbs/define";
import { QualifyLeadInput, qualifyLead } from "./qualify";

export const qualifyLeadVerb = defineVerb({
  name: "leads.qualify",
  summary:
    "Record a lead qualification (hot/warm/cold/unqualified, optional 0–100 score and reason), optionally moving the contact to a stage",
  permission: "contacts:write",
  input: QualifyLeadInput,
  output: z.object({
    contactId: z.string(),
    qualification: z.string(),
    score: z.number().nullable(),
    stage: z.looseObject({ stageId: z.string() }).nullable(),
  }),
  emits: ["contact.updated", "contact.assigned", "lead.qualified", "pipeline.stage_changed"],
  transaction: true,
  composes: [updateContactVerb, moveContactStageVerb],
  run: qualifyLead,
});
