import { z } from "@hono/zod-openapi";
import {
  addStage, archivePipeline, createPipeline, deleteStage, getPipeline, listPipelines, MoveContactInput, moveContactToStage,
  PipelineInput, PipelineUpdateInput, reorderStages, stageHistory, StageCreateInput, StageOrderInput, StageUpdateInput, updatePipeline, updateStage,
} from "../../services/pipelines";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, noContent, resource, uuidParam } from "../openapi";
import { createRouter } from "../router";

const Stage = resource("Stage", { pipelineId: z.string(), name: z.string(), position: z.number(), kind: z.enum(["open", "won", "lost"]), color: z.string().nullable() });
const Pipeline = resource("Pipeline", { name: z.string(), description: z.string().nullable(), stages: z.array(Stage) });
const StageParams = IdParam.extend({ stageId: uuidParam("stageId") });
const tags = ["Pipelines"];

const list = authedRoute("crm:read", { method: "get", path: "/pipelines", tags, summary: "List pipelines with their ordered stages", responses: { 200: json(z.object({ data: z.array(Pipeline) }), "Pipelines"), ...authErrors() } });
const create = authedRoute("pipelines:manage", { method: "post", path: "/pipelines", tags, summary: "Create a pipeline (optionally with stages, in order)", request: { body: jsonBody(PipelineInput) }, responses: { 201: json(Pipeline, "Created"), ...authErrors() } });
const get = authedRoute("crm:read", { method: "get", path: "/pipelines/{id}", tags, summary: "Get a pipeline", request: { params: IdParam }, responses: { 200: json(Pipeline, "The pipeline"), ...authErrors() } });
const update = authedRoute("pipelines:manage", { method: "patch", path: "/pipelines/{id}", tags, summary: "Update a pipeline", request: { params: IdParam, body: jsonBody(PipelineUpdateInput) }, responses: { 200: json(Pipeline, "Updated"), ...authErrors() } });
const remove = authedRoute("pipelines:manage", { method: "delete", path: "/pipelines/{id}", tags, summary: "Archive a pipeline", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });
const createStage = authedRoute("pipelines:manage", { method: "post", path: "/pipelines/{id}/stages", tags, summary: "Add a stage (at a position, default last)", request: { params: IdParam, body: jsonBody(StageCreateInput) }, responses: { 201: json(Stage, "Created"), ...authErrors() } });
const patchStage = authedRoute("pipelines:manage", { method: "patch", path: "/pipelines/{id}/stages/{stageId}", tags, summary: "Update a stage", request: { params: StageParams, body: jsonBody(StageUpdateInput) }, responses: { 200: json(Stage, "Updated"), ...authErrors() } });
const removeStage = authedRoute("pipelines:manage", { method: "delete", path: "/pipelines/{id}/stages/{stageId}", tags, summary: "Delete an empty stage", request: { params: StageParams }, responses: { 204: noContent, ...authErrors(), ...errors(409) } });
const order = authedRoute("pipelines:manage", { method: "put", path: "/pipelines/{id}/stages/order", tags, summary: "Reorder all stages", request: { params: IdParam, body: jsonBody(StageOrderInput) }, responses: { 200: json(Pipeline, "Reordered"), ...authErrors(), ...errors(422) } });
const move = authedRoute("stages:move", {
  method: "put", path: "/contacts/{id}/stage", tags, summary: "Move a contact to a stage (history, timeline and event recorded)",
  request: { params: IdParam, body: jsonBody(MoveContactInput) },
  responses: { 200: json(z.object({ contactId: z.string(), pipelineId: z.string(), stageId: z.string(), changed: z.boolean() }), "Moved"), ...authErrors() },
});
const history = authedRoute("crm:read", {
  method: "get", path: "/contacts/{id}/stage-history", tags, summary: "A contact's stage changes, oldest first",
  request: { params: IdParam },
  responses: { 200: json(z.object({ data: z.array(z.looseObject({ id: z.string() })) }), "History"), ...authErrors() },
});

export const pipelineRoutes = createRouter()
  .openapi(list, async (c) => {
    return c.json({ data: await listPipelines(c.var.svc) }, 200);
  })
  .openapi(create, async (c) => {
    return c.json(await createPipeline(c.var.svc, c.req.valid("json")), 201);
  })
  .openapi(get, async (c) => {
    return c.json(await getPipeline(c.var.svc, c.req.valid("param").id), 200);
  })
  .openapi(update, async (c) => {
    return c.json(await updatePipeline(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(remove, async (c) => {
    await archivePipeline(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(createStage, async (c) => {
    return c.json(await addStage(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 201);
  })
  .openapi(patchStage, async (c) => {
    const { id, stageId } = c.req.valid("param");
    return c.json(await updateStage(c.var.svc, id, stageId, c.req.valid("json")), 200);
  })
  .openapi(removeStage, async (c) => {
    const { id, stageId } = c.req.valid("param");
    await deleteStage(c.var.svc, id, stageId);
    return c.body(null, 204);
  })
  .openapi(order, async (c) => {
    return c.json(await reorderStages(c.var.svc, c.req.valid("param").id, c.req.valid("json").stageIds), 200);
  })
  .openapi(move, async (c) => {
    return c.json(await moveContactToStage(c.var.svc, c.req.valid("param").id, c.req.valid("json")), 200);
  })
  .openapi(history, async (c) => {
    return c.json({ data: await stageHistory(c.var.svc, c.req.valid("param").id) }, 200);
  });
