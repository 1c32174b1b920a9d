import { z } from "zod";
import { actorTypeEnum, stageKindEnum } from "../../db/schema/enums";
import { nothing, nullableTimestamp, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import {
  addStage,
  archivePipeline,
  createPipeline,
  deleteStage,
  getPipeline,
  listPipelines,
  MoveContactInput,
  moveContactToStage,
  PipelineInput,
  PipelineUpdateInput,
  reorderStages,
  StageCreateInput,
  StageOrderInput,
  StageUpdateInput,
  stageHistory,
  updatePipeline,
  updateStage,
} from "./index";

const scoped = { id: z.string(), tenantId: z.string(), projectId: z.string() };

const Stage = z
  .object({
    ...scoped,
    pipelineId: z.string(),
    name: z.string(),
    position: z.number(),
    color: z.string().nullable(),
    kind: z.enum(stageKindEnum.enumValues),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Stage" });

const Pipeline = z
  .object({
    ...scoped,
    name: z.string(),
    description: z.string().nullable(),
    position: z.number(),
    archivedAt: nullableTimestamp,
    createdAt: timestamp,
    updatedAt: timestamp,
    stages: z.array(Stage).describe("Ordered by position"),
  })
  .meta({ id: "Pipeline" });

const StageChange = z
  .object({
    ...scoped,
    contactId: z.string(),
    pipelineId: z.string(),
    fromStageId: z.string().nullable(),
    toStageId: z.string().nullable(),
    actorType: z.enum(actorTypeEnum.enumValues),
    actorId: z.string().nullable(),
    reason: z.string().nullable(),
    createdAt: timestamp,
  })
  .meta({ id: "StageChange" });

const pipelineId = z.uuid().describe("The pipeline id");
const stageId = z.uuid().describe("The stage id");
const contactId = z.uuid().describe("The contact id");

export const listPipelinesVerb = defineVerb({
  name: "pipelines.list",
  summary: "List pipelines with their ordered stages",
  permission: "crm:read",
  input: z.object({}),
  output: z.object({ data: z.array(Pipeline) }).meta({ id: "PipelineList" }),
  emits: [],
  run: async (ctx) => ({ data: await listPipelines(ctx) }),
});

export const createPipelineVerb = defineVerb({
  name: "pipelines.create",
  summary: "Create a pipeline (optionally with stages, in order)",
  permission: "pipelines:manage",
  input: PipelineInput,
  output: Pipeline,
  emits: ["pipeline.created"],
  run: createPipeline,
});

export const getPipelineVerb = defineVerb({
  name: "pipelines.get",
  summary: "Get a pipeline with its ordered stages",
  permission: "crm:read",
  input: z.object({ pipelineId }),
  output: Pipeline,
  emits: [],
  run: (ctx, { pipelineId }) => getPipeline(ctx, pipelineId),
});

export const updatePipelineVerb = defineVerb({
  name: "pipelines.update",
  summary: "Update a pipeline",
  permission: "pipelines:manage",
  input: PipelineUpdateInput.extend({ pipelineId }),
  output: Pipeline,
  emits: ["pipeline.updated"],
  run: (ctx, { pipelineId, ...fields }) => updatePipeline(ctx, pipelineId, fields),
});

export const archivePipelineVerb = defineVerb({
  name: "pipelines.archive",
  summary: "Archive a pipeline (it leaves listings; stage history keeps pointing at it)",
  permission: "pipelines:manage",
  input: z.object({ pipelineId }),
  output: nothing,
  emits: ["pipeline.deleted"],
  run: (ctx, { pipelineId }) => archivePipeline(ctx, pipelineId),
});

export const addStageVerb = defineVerb({
  name: "pipelines.add_stage",
  summary: "Add a stage to a pipeline (at a position, default last)",
  permission: "pipelines:manage",
  input: StageCreateInput.extend({ pipelineId }),
  output: Stage,
  emits: ["stage.created"],
  run: (ctx, { pipelineId, ...stage }) => addStage(ctx, pipelineId, stage),
});

export const updateStageVerb = defineVerb({
  name: "pipelines.update_stage",
  summary: "Update a stage (name, colour, kind)",
  permission: "pipelines:manage",
  input: StageUpdateInput.extend({ pipelineId, stageId }),
  output: Stage,
  emits: ["stage.updated"],
  run: (ctx, { pipelineId, stageId, ...fields }) => updateStage(ctx, pipelineId, stageId, fields),
});

export const deleteStageVerb = defineVerb({
  name: "pipelines.delete_stage",
  summary: "Delete a stage that holds no contacts",
  permission: "pipelines:manage",
  input: z.object({ pipelineId, stageId }),
  output: nothing,
  emits: ["stage.deleted"],
  run: (ctx, { pipelineId, stageId }) => deleteStage(ctx, pipelineId, stageId),
});

export const reorderStagesVerb = defineVerb({
  name: "pipelines.reorder_stages",
  summary: "Reorder all stages of a pipeline (stageIds names each stage once, in the new order)",
  permission: "pipelines:manage",
  input: StageOrderInput.extend({ pipelineId }),
  output: Pipeline,
  emits: ["stages.reordered"],
  run: (ctx, { pipelineId, stageIds }) => reorderStages(ctx, pipelineId, stageIds),
});

export const moveContactStageVerb = defineVerb({
  name: "pipelines.move_contact",
  summary: "Move a contact to a stage, entering its pipeline if needed (history, timeline and event recorded)",
  permission: "stages:move",
  input: MoveContactInput.extend({ contactId }),
  output: z.object({ contactId: z.string(), pipelineId: z.string(), stageId: z.string(), changed: z.boolean() }).meta({ id: "StageMove" }),
  emits: ["pipeline.stage_changed"],
  run: (ctx, { contactId, ...move }) => moveContactToStage(ctx, contactId, move),
});

export const stageHistoryVerb = defineVerb({
  name: "pipelines.stage_history",
  summary: "A contact's stage changes, oldest first",
  permission: "crm:read",
  input: z.object({ contactId }),
  output: z.object({ data: z.array(StageChange) }).meta({ id: "StageHistory" }),
  emits: [],
  run: async (ctx, { contactId }) => ({ data: await stageHistory(ctx, contactId) }),
});
