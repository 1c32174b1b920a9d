import { and, asc, eq, exists, isNull, notExists, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { stageKindEnum } from "../../db/schema/enums";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { assertCanWorkContact, loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { changeWithEvent, requireFound } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";

/** Without defaults: an update changes the fields it names and nothing else (zod keeps `.default()` in `.partial()`). */
const StageFields = z.object({
  name: z.string().trim().min(1).max(80),
  color: z
    .string()
    .regex(/^#[0-9a-fA-F]{6}$/, "must be a hex colour like #22c55e")
    .nullish(),
  kind: z.enum(stageKindEnum.enumValues),
});
const StageInput = StageFields.extend({ kind: StageFields.shape.kind.default("open") });
export const StageCreateInput = StageInput.extend({ position: z.number().int().min(0).optional() });
export const StageUpdateInput = StageFields.partial();
export const PipelineInput = z.object({
  name: z.string().trim().min(1).max(120),
  description: z.string().max(2000).nullish(),
  stages: z.array(StageInput).max(50).default([]),
});
export const PipelineUpdateInput = PipelineInput.omit({ stages: true }).partial();
export const StageOrderInput = z.object({ stageIds: z.array(z.uuid()).min(1).max(50) });

const p = schema.pipelines;
const s = schema.stages;

export async function listPipelines(ctx: ServiceContext) {
  const [pipelines, stages] = await ctx.db.batch([
    ctx.db.query
      .select()
      .from(p)
      .where(inScope(p, ctx.principal, isNull(p.archivedAt)))
      .orderBy(asc(p.position), asc(p.id)),
    ctx.db.query.select().from(s).where(inScope(s, ctx.principal)).orderBy(asc(s.position), asc(s.id)),
  ] as const);
  return pipelines.map((pl) => ({ ...pl, stages: stages.filter((st) => st.pipelineId === pl.id) }));
}

export async function getPipeline(ctx: ServiceContext, id: string) {
  const [pipelines, stages] = await ctx.db.batch([
    ctx.db.query
      .select()
      .from(p)
      .where(inScope(p, ctx.principal, eq(p.id, id), isNull(p.archivedAt))),
    ctx.db.query
      .select()
      .from(s)
      .where(inScope(s, ctx.principal, eq(s.pipelineId, id)))
      .orderBy(asc(s.position), asc(s.id)),
  ] as const);
  return { ...requireFound(pipelines[0], "Pipeline", id), stages };
}

export async function createPipeline(ctx: ServiceContext, input: z.infer<typeof PipelineInput>) {
  const id = uuidv7();
  const scope = scopeValues(ctx.principal);
  const [[pipeline], stages] = await ctx.db.batch([
    ctx.db.query
      .insert(p)
      .values({ id, ...scope, name: input.name, description: input.description })
      .returning(),
    ...(input.stages.length
      ? [
          ctx.db.query
            .insert(s)
            .values(input.stages.map((st, i) => ({ ...scope, pipelineId: id, ...st, position: i })))
            .returning(),
        ]
      : []),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("pipeline.created", { pipelineId: id, name: input.name })),
  ] as const);
  return { ...pipeline!, stages: input.stages.length ? (stages as (typeof s.$inferSelect)[]) : [] };
}

export async function updatePipeline(ctx: ServiceContext, id: string, input: z.infer<typeof PipelineUpdateInput>) {
  const [[pipeline], stages] = await ctx.db.batch([
    changeWithEvent(
      ctx,
      p,
      ctx.db.query
        .update(p)
        .set({ ...input, updatedAt: new Date() })
        .where(inScope(p, ctx.principal, eq(p.id, id), isNull(p.archivedAt))),
      ctx.outbox.event("pipeline.updated", { pipelineId: id, fields: Object.keys(input) }),
    ),
    ctx.db.query
      .select()
      .from(s)
      .where(inScope(s, ctx.principal, eq(s.pipelineId, id)))
      .orderBy(asc(s.position), asc(s.id)),
  ] as const);
  return { ...requireFound(pipeline, "Pipeline", id), stages };
}

/** Archived, not deleted: stage history keeps pointing at it. */
export async function archivePipeline(ctx: ServiceContext, id: string) {
  const [archived] = await changeWithEvent(
    ctx,
    p,
    ctx.db.query
      .update(p)
      .set({ archivedAt: new Date() })
      .where(inScope(p, ctx.principal, eq(p.id, id), isNull(p.archivedAt))),
    ctx.outbox.event("pipeline.deleted", { pipelineId: id }),
  );
  requireFound(archived, "Pipeline", id);
}

/** Stages of an archived pipeline are frozen: history keeps pointing at them, nothing new happens there. */
function assertOpen(pipeline: { id: string; archivedAt: Date | null }) {
  if (pipeline.archivedAt) {
    throw new AppError("unprocessable", `Pipeline ${pipeline.id} is archived`, [{ path: "pipelineId", message: "pipeline is archived" }]);
  }
}

/**
 * The live contacts in the stage of the enclosing query's `stages` row (a subquery to wrap in exists or count).
 * Soft-deleted contacts keep their `contact_stages` row, like the rest of their history, but hold no place.
 */
function occupants(ctx: ServiceContext) {
  const cs = schema.contactStages;
  const c = schema.contacts;
  return ctx.db.query
    .select({ contactId: cs.contactId })
    .from(cs)
    .innerJoin(c, inScope(c, ctx.principal, eq(c.id, cs.contactId), isNull(c.deletedAt)))
    .where(inScope(cs, ctx.principal, eq(cs.stageId, s.id)));
}

/** A stage under `pipelineId` with its pipeline's archive mark, in one round trip. */
async function loadStage(ctx: ServiceContext, stageId: string, pipelineId?: string) {
  const [row] = await ctx.db.query
    .select({ stage: s, archivedAt: p.archivedAt })
    .from(s)
    .innerJoin(p, inScope(p, ctx.principal, eq(p.id, s.pipelineId)))
    .where(inScope(s, ctx.principal, eq(s.id, stageId), pipelineId ? eq(s.pipelineId, pipelineId) : undefined));
  const found = requireFound(row, "Stage", stageId);
  assertOpen({ id: found.stage.pipelineId, archivedAt: found.archivedAt });
  return found;
}

export async function addStage(ctx: ServiceContext, pipelineId: string, input: z.infer<typeof StageCreateInput>) {
  return ctx.db.transaction(async (tx) => {
    // The row lock serialises concurrent inserts, so positions stay a gapless sequence.
    const [pipeline] = await tx
      .select({ id: p.id, archivedAt: p.archivedAt })
      .from(p)
      .where(inScope(p, ctx.principal, eq(p.id, pipelineId)))
      .for("update");
    assertOpen(requireFound(pipeline, "Pipeline", pipelineId));
    const [{ count }] = (await tx
      .select({ count: sql<number>`count(*)::int` })
      .from(s)
      .where(inScope(s, ctx.principal, eq(s.pipelineId, pipelineId)))) as [{ count: number }];
    const position = Math.min(input.position ?? count, count);
    await tx
      .update(s)
      .set({ position: sql`${s.position} + 1` })
      .where(inScope(s, ctx.principal, eq(s.pipelineId, pipelineId), sql`${s.position} >= ${position}`));
    const [row] = await tx
      .insert(s)
      .values({ ...scopeValues(ctx.principal), pipelineId, ...input, position })
      .returning();
    await tx.insert(schema.outbox).values(ctx.outbox.event("stage.created", { pipelineId, stageId: row!.id, name: row!.name, position }));
    return row!;
  });
}

export async function updateStage(ctx: ServiceContext, pipelineId: string, stageId: string, input: z.infer<typeof StageUpdateInput>) {
  await loadStage(ctx, stageId, pipelineId);
  const [row] = await changeWithEvent(
    ctx,
    s,
    ctx.db.query
      .update(s)
      .set({ ...input, updatedAt: new Date() })
      .where(inScope(s, ctx.principal, eq(s.id, stageId), eq(s.pipelineId, pipelineId))),
    ctx.outbox.event("stage.updated", { pipelineId, stageId, fields: Object.keys(input) }),
  );
  return requireFound(row, "Stage", stageId);
}

/**
 * Deletes a stage of an open pipeline that holds no live contact. One batch (one round trip, one transaction): the
 * stage row is locked first, so a move into it either committed before the delete's check (which then sees it) or
 * waits and then fails on its foreign key — the cascade never wipes it. The delete carries its own conditions and
 * its event; only when it deleted nothing does the last read say why (404, 422 or 409).
 */
export async function deleteStage(ctx: ServiceContext, pipelineId: string, stageId: string) {
  const stage = inScope(s, ctx.principal, eq(s.id, stageId), eq(s.pipelineId, pipelineId));
  const open = ctx.db.query
    .select({ id: p.id })
    .from(p)
    .where(inScope(p, ctx.principal, eq(p.id, s.pipelineId), isNull(p.archivedAt)));
  const [, deleted, [state]] = await ctx.db.batch([
    ctx.db.query.select({ id: s.id }).from(s).where(stage).for("update"),
    changeWithEvent(
      ctx,
      s,
      ctx.db.query.delete(s).where(and(stage, exists(open), notExists(occupants(ctx)))),
      ctx.outbox.event("stage.deleted", { pipelineId, stageId }),
    ),
    ctx.db.query
      .select({ archivedAt: p.archivedAt, occupants: sql<number>`(select count(*)::int from (${occupants(ctx)}) as live)` })
      .from(s)
      .innerJoin(p, inScope(p, ctx.principal, eq(p.id, s.pipelineId)))
      .where(stage),
  ] as const);
  if (deleted.length) return;
  const found = requireFound(state, "Stage", stageId);
  assertOpen({ id: pipelineId, archivedAt: found.archivedAt });
  throw new AppError("conflict", `Stage still holds ${found.occupants} contact(s); move them first`, { contacts: found.occupants });
}

/** Reorders all stages of a pipeline; the list must name each stage exactly once. */
export async function reorderStages(ctx: ServiceContext, pipelineId: string, stageIds: string[]) {
  const [pipelines, stages] = await ctx.db.batch([
    ctx.db.query
      .select()
      .from(p)
      .where(inScope(p, ctx.principal, eq(p.id, pipelineId))),
    ctx.db.query
      .select()
      .from(s)
      .where(inScope(s, ctx.principal, eq(s.pipelineId, pipelineId))),
  ] as const);
  const pipeline = requireFound(pipelines[0], "Pipeline", pipelineId);
  assertOpen(pipeline);
  const byId = new Map(stages.map((st) => [st.id, st]));
  if (stageIds.length !== byId.size || new Set(stageIds).size !== stageIds.length || !stageIds.every((id) => byId.has(id))) {
    throw new AppError("unprocessable", "stageIds must list every stage of the pipeline exactly once", [
      { path: "stageIds", message: "not a permutation of the pipeline's stages" },
    ]);
  }
  await ctx.db.batch([
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("stages.reordered", { pipelineId, stageIds })),
    ...stageIds.map((id, position) =>
      ctx.db.query
        .update(s)
        .set({ position })
        .where(inScope(s, ctx.principal, eq(s.id, id))),
    ),
  ]);
  return { ...pipeline, stages: stageIds.map((id, position) => ({ ...byId.get(id)!, position })) };
}

export const MoveContactInput = z.object({
  stageId: z.uuid(),
  reason: z.string().max(500).optional(),
});

/** Moves a contact to a stage (entering the pipeline if needed), recording history, timeline and event atomically. */
export async function moveContactToStage(ctx: ServiceContext, contactId: string, input: z.infer<typeof MoveContactInput>) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  const { stage } = await loadStage(ctx, input.stageId);
  const scope = scopeValues(ctx.principal);
  const actor = { actorType: ctx.principal.actor.type, actorId: ctx.principal.actor.id };
  return ctx.db.transaction(async (tx) => {
    const [previous] = await tx
      .select({ stageId: schema.contactStages.stageId })
      .from(schema.contactStages)
      .where(
        inScope(
          schema.contactStages,
          ctx.principal,
          eq(schema.contactStages.contactId, contactId),
          eq(schema.contactStages.pipelineId, stage.pipelineId),
        ),
      )
      .for("update");
    if (previous?.stageId === stage.id) return { contactId, pipelineId: stage.pipelineId, stageId: stage.id, changed: false };
    await tx
      .insert(schema.contactStages)
      .values({ ...scope, contactId, pipelineId: stage.pipelineId, stageId: stage.id })
      .onConflictDoUpdate({
        target: [schema.contactStages.contactId, schema.contactStages.pipelineId],
        set: { stageId: stage.id, enteredAt: new Date() },
      });
    const change = {
      contactId,
      pipelineId: stage.pipelineId,
      fromStageId: previous?.stageId ?? null,
      toStageId: stage.id,
      reason: input.reason ?? null,
    };
    await tx.insert(schema.contactStageHistory).values({ ...scope, ...change, ...actor });
    await tx.insert(schema.contactEvents).values({
      ...scope,
      contactId,
      type: "pipeline.stage_changed",
      title: `Moved to “${stage.name}”`,
      payload: change,
      ...actor,
    });
    await tx.insert(schema.outbox).values(ctx.outbox.event("pipeline.stage_changed", change));
    return { contactId, pipelineId: stage.pipelineId, stageId: stage.id, changed: true };
  });
}

export async function stageHistory(ctx: ServiceContext, contactId: string) {
  await loadContact(ctx, contactId);
  const h = schema.contactStageHistory;
  return ctx.db.query
    .select()
    .from(h)
    .where(inScope(h, ctx.principal, eq(h.contactId, contactId)))
    .orderBy(asc(h.id));
}
