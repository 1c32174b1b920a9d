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
  const doc = opts.replaceDocument;
  const d = schema.documents;
  if (doc) {
    // Two runs of one document (a redelivery, a concurrent delivery) take turns on the document's row: the second
    // then sees the first's chunks and replaces them, instead of both inserting beside each other.
    statements.push(
      ctx.db.query
        .select({ id: d.id })
        .from(d)
        .where(inScope(d, ctx.principal, eq(d.id, doc)))
        .for("update"),
    );
    statements.push(ctx.db.query.delete(e).where(inScope(e, ctx.principal, eq(e.documentId, doc))));
  }
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    statements.push(ctx.db.query.insert(e).values(rows.slice(i, i + ROWS_PER_INSERT).map((r) => ({ ...r, ...scope }))));
  }
  if (opts.alongWith) statements.push(opts.alongWith);
  // A document that ended meanwhile as anything but ready (failed by a concurrent last attempt) keeps no chunks.
  if (doc) {
    statements.push(
      ctx.db.query
        .delete(e)
        .where(
          inScope(
            e,
            ctx.principal,
            eq(e.documentId, doc),
            sql`not exists (select 1 from ${d} where ${d.id} = ${doc}::uuid and ${d.status} = 'ready')`,
          ),
        ),
    );
  }
  if (!statements.length) return;
  await ctx.db.batch(statements as never);
}

/**
 * Makes an inbound text message searchable (`message.created`): one row per message, embedded once however often
 * the event is delivered. Other directions and content types are not embedded here.
 */
export async function embedMessage(ctx: ServiceContext, messageId: string, hint: { direction?: unknown; contentType?: unknown } = {}) {
  // The event already says what the message is: most are not inbound text, and need no query to be skipped.
  if ((hint.direction && hint.direction !== "inbound") || (hint.contentType && hint.contentType !== "text")) {
    return { outcome: "skipped" as const };
  }
  const m = schema.messages;
  const [msg] = await ctx.db.query
    .select()
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.id, messageId), and(eq(m.direction, "inbound"), eq(m.contentType, "text"))));
  const text = msg?.body?.trim();
  if (!msg || !text || msg.revokedAt) return { outcome: "skipped" as const };
  const [done] = await ctx.db.query
    .select({ id: e.id })
    .from(e)
    .where(inScope(e, ctx.principal, eq(e.messageId, messageId), eq(e.contentType, "message")));
  if (done) return { outcome: "already_embedded" as const };
  return insertMessageMemory(ctx, msg, "text", text);
}

/**
 * Makes what was read from a message's media searchable — a voice note's transcript, an image's description and
 * visible text — as that message's memory row (subtype `transcript` or `description`, after its caption if any), so
 * agents find what customers said in audio or showed in photos. Once per message; a revoked message's row goes with
 * `refreshMessageMemory`, a deleted contact's with `forgetContactConversations`.
 */
export async function embedMediaReading(
  ctx: ServiceContext,
  messageId: string,
  reading: { subtype: "transcript" | "description"; text: string },
) {
  const m = schema.messages;
  const [msg] = await ctx.db.query
    .select()
    .from(m)
    .where(inScope(m, ctx.principal, eq(m.id, messageId)));
  const text = [msg?.body?.trim(), reading.text.trim()].filter(Boolean).join("\n");
  if (!msg || !reading.text.trim() || msg.revokedAt) return { outcome: "skipped" as const };
  return insertMessageMemory(ctx, msg, reading.subtype, text);
}

/** A message's one memory row (unique per message: a second delivery inserts nothing), embedded as a document. */
async function insertMessageMemory(
  ctx: ServiceContext,
  msg: typeof schema.messages.$inferSelect,
  subtype: "text" | "transcript" | "description",
  text: string,
) {
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
      contentSubtype: subtype,
      contentText: text,
      embedding: vector!,
      embeddingModel: embedder.model,
      metadata: {
        message_id: msg.id,
        session_id: msg.sessionId,
        contact_id: msg.contactId,
        channel_id: msg.channelId,
        direction: msg.direction,
      },
      createdAt: msg.createdAt,
    })
    .onConflictDoNothing({ target: e.messageId, where: sql`content_type = 'message'` });
  return { outcome: "embedded" as const };
}

/** An edited message is searchable by its new text only; a revoked ("deleted for everyone") one not at all. */
export async function refreshMessageMemory(ctx: ServiceContext, messageId: string) {
  await ctx.db.query.delete(e).where(inScope(e, ctx.principal, eq(e.messageId, messageId), eq(e.contentType, "message")));
  return embedMessage(ctx, messageId);
}

/**
 * A deleted contact's conversations leave memory (what they said is theirs); documents attached to them stay —
 * they are the business's records — and keep being found by their content.
 */
export async function forgetContactConversations(ctx: ServiceContext, contactId: string) {
  await ctx.db.query
    .delete(e)
    .where(inScope(e, ctx.principal, eq(e.contactId, contactId), sql`${e.contentType} in ('message', 'session', 'fact')`));
}
