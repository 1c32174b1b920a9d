import {
  addStageVerb,
  archivePipelineVerb,
  createPipelineVerb,
  deleteStageVerb,
  getPipelineVerb,
  listPipelinesVerb,
  moveContactStageVerb,
  reorderStagesVerb,
  stageHistoryVerb,
  updatePipelineVerb,
  updateStageVerb,
} from "../../services/pipelines/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Pipelines"];

export const pipelineRoutes = createRouter()
  .openapi(...verbRoute(listPipelinesVerb, { method: "get", path: "/pipelines", tags }))
  .openapi(...verbRoute(createPipelineVerb, { method: "post", path: "/pipelines", status: 201, tags }))
  .openapi(...verbRoute(getPipelineVerb, { method: "get", path: "/pipelines/{pipelineId}", tags }))
  .openapi(...verbRoute(updatePipelineVerb, { method: "patch", path: "/pipelines/{pipelineId}", tags }))
  .openapi(...verbRoute(archivePipelineVerb, { method: "delete", path: "/pipelines/{pipelineId}", status: 204, tags }))
  .openapi(...verbRoute(addStageVerb, { method: "post", path: "/pipelines/{pipelineId}/stages", status: 201, tags, errors: [422] }))
  .openapi(...verbRoute(reorderStagesVerb, { method: "put", path: "/pipelines/{pipelineId}/stages/order", tags, errors: [422] }))
  .openapi(...verbRoute(updateStageVerb, { method: "patch", path: "/pipelines/{pipelineId}/stages/{stageId}", tags, errors: [422] }))
  .openapi(
    ...verbRoute(deleteStageVerb, {
      method: "delete",
      path: "/pipelines/{pipelineId}/stages/{stageId}",
      status: 204,
      tags,
      errors: [409, 422],
    }),
  )
  .openapi(...verbRoute(moveContactStageVerb, { method: "put", path: "/contacts/{contactId}/stage", tags, errors: [422] }))
  .openapi(...verbRoute(stageHistoryVerb, { method: "get", path: "/contacts/{contactId}/stage-history", tags }));
