import { and, asc, eq, ne, sql } from "drizzle-orm";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";
import { memoryOf } from "./deps";
import { embeddingInput } from "./ingest";

const e = schema.memoryEmbeddings;

/**
 * Moves one batch of the project's memory to the configured embedding model. Until every row is moved, search
 * compares only the rows already on the query's model; when none remains, the project's model is recorded.
 */
export async function reembedProject(ctx: ServiceContext, batchSize: number) {
  const { embedder } = memoryOf(ctx);
  const rows = await ctx.db.query
    .select({ id: e.id, contentType: e.contentType, contentText: e.contentText, metadata: e.metadata })
    .from(e)
    .where(inScope(e, ctx.principal, ne(e.embeddingModel, embedder.model)))
    .orderBy(asc(e.id))
    .limit(batchSize);
  const vectors = rows.length ? await embedder.embed(rows.map(embeddingInput), "document") : [];
  const values = sql.join(
    rows.map((r, i) => sql`(${r.id}::uuid, ${`[${vectors[i]!.join(",")}]`}::halfvec)`),
    sql`, `,
  );
  const { tenantId, projectId } = ctx.principal;
  const event = ctx.outbox.event("memory.reembedded", { model: embedder.model, updated: rows.length });
  const [, , [left]] = await ctx.db.batch([
    ctx.db.query.insert(schema.outbox).values(event),
    rows.length
      ? ctx.db.query.execute(sql`
          update memory_embeddings m set embedding = v.embedding, embedding_model = ${embedder.model}, updated_at = now()
          from (values ${values}) as v(id, embedding)
          where m.id = v.id and m.tenant_id = ${tenantId}::uuid and m.project_id = ${projectId}::uuid`)
      : ctx.db.query.execute(sql`select 1`),
    ctx.db.query
      .select({ n: sql<number>`count(*)::int` })
      .from(e)
      .where(and(inScope(e, ctx.principal), ne(e.embeddingModel, embedder.model))),
  ] as const);
  const remaining = left?.n ?? 0;
  if (remaining === 0) {
    await ctx.db.batch([
      ctx.db.query
        .insert(schema.memoryProjectState)
        .values({ projectId, tenantId, embeddingModel: embedder.model })
        .onConflictDoUpdate({
          target: schema.memoryProjectState.projectId,
          set: { embeddingModel: embedder.model, updatedAt: new Date() },
        }),
      ctx.db.query
        .update(schema.documents)
        .set({ embeddingModel: embedder.model })
        .where(inScope(schema.documents, ctx.principal, eq(schema.documents.status, "ready"))),
    ] as const);
  }
  return { model: embedder.model, updated: rows.length, remaining, done: remaining === 0 };
}
