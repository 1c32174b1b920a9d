import { and, eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";
import { memoryOf } from "./deps";

const e = schema.memoryEmbeddings;
export type ChunkRow = Omit<typeof e.$inferInsert, "tenantId" | "projectId" | "id">;

/**
 * The text a chunk is embedded from — at ingest and when re-embedding, so both give the same vector: a document's
 * chunk carries its document's title (a page rarely names the contract it belongs to); other items embed as they are.
 */
export function embeddingInput(row: { contentType: string; contentText: string; metadata?: Record<string, unknown> | null }) {
  const title = row.contentType === "document" ? row.metadata?.document_title : undefined;
  const text = row.contentText.slice(0, MAX_EMBED_CHARS);
  return typeof title === "string" && title ? `${title}\n\n${text}` : text;
}

/** Longest text embedded for one item (the whole text is stored and searched by words). */
const MAX_EMBED_CHARS = 4000;

/** Rows per INSERT: 768 floats each, so a statement stays well under a megabyte or two. */
const ROWS_PER_INSERT = 100;

/**
 * Stores chunks in one database round trip (one batch = one transaction): a document's earlier chunks are replaced
 * (a redelivered processing run), and `alongWith` — typically the status change with its event — commits with them.
 */
export async function insertChunks(
  ctx: ServiceContext,
  rows: ChunkRow[],
  opts: { replaceDocument?: string; alongWith?: PromiseLike<unknown> } = {},
) {
  const scope = { tenantId: ctx.principal.tenantId, projectId: ctx.principal.projectId };
  const statements: unknown[] = [];
  if (opts.replaceDocument)
    statements.push(ctx.db.query.delete(e).where(inScope(e, ctx.principal, eq(e.documentId, opts.replaceDocument))));
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    statements.push(ctx.db.query.insert(e).values(rows.slice(i, i + ROWS_PER_INSERT).map((r) => ({ ...r, ...scope }))));
  }
  if (opts.alongWith) statements.push(opts.alongWith);
  if (!statements.length) return;
  await ctx.db.batch(statements as never);
}

/**
 * Makes an inbound text message searchable (`message.created`): one row per message, embedded once however often
 * the event is delivered. Other directions and content types are not embedded here.
 */
export async function embedMessage(ctx: ServiceContext, messageId: string) {
  const m = schema.messages;
  const [msg] = await ctx.db.query
    .select()
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.id, messageId), and(eq(m.direction, "inbound"), eq(m.contentType, "text"))));
  const text = msg?.body?.trim();
  if (!msg || !text) return { outcome: "skipped" as const };
  const [done] = await ctx.db.query
    .select({ id: e.id })
    .from(e)
    .where(inScope(e, ctx.principal, eq(e.messageId, messageId), eq(e.contentType, "message")));
  if (done) return { outcome: "already_embedded" as const };
  const { embedder } = memoryOf(ctx);
  const [vector] = await embedder.embed([embeddingInput({ contentType: "message", contentText: text })], "document");
  await ctx.db.query
    .insert(e)
    .values({
      tenantId: ctx.principal.tenantId,
      projectId: ctx.principal.projectId,
      contactId: msg.contactId,
      sessionId: msg.sessionId,
      messageId: msg.id,
      contentType: "message",
      contentSubtype: "text",
      contentText: text,
      embedding: vector!,
      embeddingModel: embedder.model,
      metadata: {
        message_id: msg.id,
        session_id: msg.sessionId,
        contact_id: msg.contactId,
        channel_id: msg.channelId,
        direction: "inbound",
      },
      createdAt: msg.createdAt,
    })
    .onConflictDoNothing({ target: e.messageId, where: sql`content_type = 'message'` });
  return { outcome: "embedded" as const };
}
