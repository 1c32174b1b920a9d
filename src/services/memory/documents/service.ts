import { and, eq, sql } from "drizzle-orm";
import { schema } from "../../../db";
import { AppError, normalizeError } from "../../../lib/errors";
import { keyset, toPage } from "../../../lib/pagination";
import { assertCanWorkContact, loadContact } from "../../contacts/access";
import type { ServiceContext } from "../../context";
import type { PageQuery } from "../../shared/crud";
import { changeWithEvent, findScoped, requireFound } from "../../shared/crud";
import { inScope } from "../../shared/scope";
import { memoryOf } from "../deps";
import { embeddingInput, insertChunks } from "../ingest";
import { chunkDocument } from "./chunk";
import { ACCEPTED_DOCUMENT_TYPES, detectDocumentType } from "./detect";
import { extractDocument } from "./extract";
import { isBlank } from "./pages";
import { reconstructDocument } from "./reconstruct";

const d = schema.documents;
type DocumentRow = typeof d.$inferSelect;
export type DocumentKind = DocumentRow["documentType"];

export interface UploadInput {
  content: Uint8Array;
  filename?: string;
  mimeType?: string;
  title?: string;
  documentType?: DocumentKind;
  contactId?: string;
  source?: DocumentRow["source"];
}

const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");
/** The feed's view of a document: its id, title, contact and status — never its storage key or internals. */
const statusEvent = (
  ctx: ServiceContext,
  doc: { id: string; title?: string; contactId?: string | null },
  status: DocumentRow["status"],
  error?: string | null,
) =>
  ctx.outbox.event("document.status_changed", {
    documentId: doc.id,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    ...(doc.contactId !== undefined ? { contactId: doc.contactId } : {}),
    status,
    ...(error ? { error } : {}),
  });

/** What one processing run can store in one transaction: ~800 characters a chunk, so roughly 800 KB of text. */
export const MAX_CHUNKS_PER_DOCUMENT = 1000;

/**
 * Stores an uploaded file and queues it for processing (`document.uploaded`): nothing is extracted or embedded on
 * the request. The same bytes uploaded again to the project are the same document — returned, not ingested twice.
 */
export async function uploadDocument(ctx: ServiceContext, input: UploadInput): Promise<DocumentRow & { duplicate: boolean }> {
  const { store, maxDocumentBytes } = memoryOf(ctx);
  if (input.content.byteLength === 0) {
    throw new AppError("invalid_request", "The file is empty", [{ path: "file", message: "must not be empty" }]);
  }
  if (input.content.byteLength > maxDocumentBytes) {
    throw new AppError("payload_too_large", `The file exceeds ${maxDocumentBytes} bytes`, { limit: maxDocumentBytes });
  }
  const type = detectDocumentType(input.content, input.mimeType, input.filename);
  if (!type) {
    throw new AppError("unsupported_media_type", `Unsupported document type; accepted: ${ACCEPTED_DOCUMENT_TYPES.join(", ")}`, {
      accepted: ACCEPTED_DOCUMENT_TYPES,
      declared: input.mimeType ?? null,
    });
  }
  // Attaching a document to a contact is working that contact: the same rule as a note.
  if (input.contactId) await assertCanWorkContact(ctx, await loadContact(ctx, input.contactId));
  const sha256 = hex(await crypto.subtle.digest("SHA-256", input.content));
  const existing = await findBySha(ctx, sha256);
  if (existing?.status === "failed") return { ...(await retryFailed(ctx, existing)), duplicate: true };
  if (existing) return { ...existing, duplicate: true };

  const id = crypto.randomUUID();
  const storageKey = `${ctx.principal.tenantId}/${ctx.principal.projectId}/documents/${id}`;
  await store.put(storageKey, input.content, type);
  const title = (input.title?.trim() || input.filename?.trim() || "Untitled document").slice(0, 300);
  const event = ctx.outbox.event("document.uploaded", { documentId: id, title, contactId: input.contactId ?? null, status: "pending" });
  // The original is stored first (a row must never point at nothing); if the row cannot be written, it goes.
  const [row] = await changeWithEvent(
    ctx,
    d,
    ctx.db.query
      .insert(d)
      .values({
        id,
        tenantId: ctx.principal.tenantId,
        projectId: ctx.principal.projectId,
        contactId: input.contactId ?? null,
        title,
        documentType: input.documentType ?? "other",
        mimeType: type,
        filename: input.filename?.slice(0, 300) ?? null,
        bytes: input.content.byteLength,
        sha256,
        source: input.source ?? "upload",
        storageKey,
      })
      .onConflictDoNothing({ target: [d.projectId, d.sha256] }),
    event,
  ).then(
    (rows) => rows,
    async (err) => {
      await store.delete(storageKey).catch(() => {});
      throw err;
    },
  );
  if (row) return { ...row, duplicate: false };
  // A concurrent upload of the same bytes won: ours is not needed.
  await store.delete(storageKey).catch(() => {});
  return { ...requireFound(await findBySha(ctx, sha256), "document", sha256), duplicate: true };
}

/** The same file uploaded again after it failed: processed again (a fix on our side may now read it). */
async function retryFailed(ctx: ServiceContext, doc: DocumentRow): Promise<DocumentRow> {
  const [row] = await changeWithEvent(
    ctx,
    d,
    ctx.db.query
      .update(d)
      .set({ status: "pending", error: null, updatedAt: new Date() })
      .where(inScope(d, ctx.principal, eq(d.id, doc.id), eq(d.status, "failed"))),
    ctx.outbox.event("document.uploaded", { documentId: doc.id, title: doc.title, contactId: doc.contactId, status: "pending" }),
  );
  return row ?? doc;
}

async function findBySha(ctx: ServiceContext, sha256: string) {
  const [row] = await ctx.db.query
    .select()
    .from(d)
    .where(inScope(d, ctx.principal, eq(d.sha256, sha256)));
  return row;
}

export async function listDocuments(
  ctx: ServiceContext,
  q: PageQuery & { contactId?: string; status?: DocumentRow["status"]; documentType?: DocumentKind },
) {
  const page = keyset({ id: d.id, direction: "desc", cursor: q.cursor });
  const rows = await ctx.db.query
    .select()
    .from(d)
    .where(
      and(
        inScope(d, ctx.principal),
        q.contactId ? eq(d.contactId, q.contactId) : undefined,
        q.status ? eq(d.status, q.status) : undefined,
        q.documentType ? eq(d.documentType, q.documentType) : undefined,
        page.where,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.id]);
}

export const getDocument = (ctx: ServiceContext, documentId: string) => findScoped(ctx, d, documentId, "document");

/** The document's text rebuilt from its stored chunks in order, overlaps removed, with its pages. */
export async function getDocumentContent(ctx: ServiceContext, documentId: string) {
  const doc = await getDocument(ctx, documentId);
  if (doc.status !== "ready") {
    throw new AppError("conflict", `The document is ${doc.status}; its content is available once it is ready`, {
      status: doc.status,
    });
  }
  const e = schema.memoryEmbeddings;
  const rows = await ctx.db.query
    .select({ text: e.contentText, metadata: e.metadata })
    .from(e)
    .where(inScope(e, ctx.principal, eq(e.documentId, documentId), eq(e.contentType, "document")));
  const chunks = rows.map((r) => ({
    text: r.text,
    index: Number(r.metadata.chunk_index),
    pageNumber: Number(r.metadata.page_number),
    pageStart: Number(r.metadata.page_start),
    pageEnd: Number(r.metadata.page_end),
  }));
  if (doc.chunkCount !== null && chunks.length !== doc.chunkCount) {
    throw new AppError("internal", "The document's indexed passages are incomplete; upload it again", {
      expected: doc.chunkCount,
      found: chunks.length,
    });
  }
  const { text, pages } = reconstructDocument(chunks, { pageCount: doc.pageCount ?? undefined });
  return { documentId: doc.id, title: doc.title, documentType: doc.documentType, pageCount: doc.pageCount, text, pages };
}

/** Deletes the document, its chunks (cascade; the BM25 statistics follow by trigger) and its original in R2. */
export async function deleteDocument(ctx: ServiceContext, documentId: string) {
  const { store } = memoryOf(ctx);
  const [row] = await changeWithEvent(
    ctx,
    d,
    ctx.db.query.delete(d).where(inScope(d, ctx.principal, eq(d.id, documentId))),
    ctx.outbox.event("document.deleted", { documentId }),
  );
  const deleted = requireFound(row, "document", documentId);
  // After the row: a failed R2 delete leaves an orphaned object (logged), never a document without its original.
  await store.delete(deleted.storageKey).catch((err) => ctx.log.warn("document original not deleted", { documentId, err }));
}

/**
 * Erasure of a deleted contact's documents that came from them over WhatsApp (their media, read into memory): the
 * row, its chunks and statistics, and the original in R2. Documents the business uploaded and attached to the
 * contact stay: they are the business's records. Idempotent (a document already gone is skipped).
 */
export async function forgetContactDocuments(ctx: ServiceContext, contactId: string) {
  const rows = await ctx.db.query
    .select({ id: d.id })
    .from(d)
    .where(inScope(d, ctx.principal, eq(d.contactId, contactId), eq(d.source, "whatsapp")));
  for (const { id } of rows) {
    await deleteDocument(ctx, id).catch((err) => {
      if (!(err instanceof AppError && err.code === "not_found")) throw err;
    });
  }
  return rows.length;
}

/**
 * The queue's work for `document.uploaded`: extract page by page, chunk by structure, embed in batches and store the
 * chunks, then `ready` — or `failed` with a reason a person can act on. Safe to run again (a redelivery replaces
 * the chunks of an unfinished run). A model outage is retried by the queue; `lastAttempt` turns it into `failed`.
 */
export async function processDocument(ctx: ServiceContext, documentId: string, opts: { lastAttempt?: boolean } = {}) {
  const { store, embedder } = memoryOf(ctx);
  const [claimed] = await changeWithEvent(
    ctx,
    d,
    ctx.db.query
      .update(d)
      .set({ status: "processing", error: null, updatedAt: new Date() })
      .where(inScope(d, ctx.principal, eq(d.id, documentId), eq(d.status, "pending"))),
    statusEvent(ctx, { id: documentId }, "processing"),
  );
  // Already processing: a redelivery after a crash, or a concurrent delivery. Run again without a second event;
  // chunks are replaced atomically and only the first run to finish records `ready`.
  const doc = claimed ?? (await getDocument(ctx, documentId).catch(() => undefined));
  if (doc?.status !== "processing") return { outcome: "skipped" as const };
  try {
    const bytes = await store.get(doc.storageKey);
    if (!bytes) return await failDocument(ctx, doc, "The original file is missing from storage; upload it again");
    const { pages } = await extractDocument(bytes, doc.mimeType as (typeof ACCEPTED_DOCUMENT_TYPES)[number]);
    if (pages.every((p) => isBlank(p.text))) {
      return await failDocument(ctx, doc, "No text could be extracted (a scanned PDF needs OCR, which is not supported yet)");
    }
    const chunks = chunkDocument(pages);
    if (chunks.length > MAX_CHUNKS_PER_DOCUMENT) {
      return await failDocument(
        ctx,
        doc,
        `The document is too long to index (${chunks.length} passages; at most ${MAX_CHUNKS_PER_DOCUMENT}): split it into smaller files`,
      );
    }
    const vectors = await embedder.embed(
      chunks.map((c) => embeddingInput({ contentType: "document", contentText: c.text, metadata: { document_title: doc.title } })),
      "document",
    );
    const ready = statusEvent(ctx, doc, "ready");
    await insertChunks(
      ctx,
      chunks.map((c, i) => ({
        documentId: doc.id,
        contactId: doc.contactId,
        contentType: "document",
        contentSubtype: doc.documentType,
        contentText: c.text,
        embedding: vectors[i]!,
        embeddingModel: embedder.model,
        metadata: {
          document_title: doc.title,
          document_type: doc.documentType,
          page_number: c.pageNumber,
          chunk_index: c.index,
          char_start: c.start,
          char_end: c.end,
          page_start: c.pageStart,
          page_end: c.pageEnd,
        },
      })),
      {
        replaceDocument: doc.id,
        alongWith: changeWithEvent(
          ctx,
          d,
          ctx.db.query
            .update(d)
            .set({
              status: "ready",
              pageCount: pages.length,
              chunkCount: chunks.length,
              embeddingModel: embedder.model,
              processedAt: new Date(),
              updatedAt: new Date(),
            })
            .where(inScope(d, ctx.principal, eq(d.id, doc.id), eq(d.status, "processing"))),
          ready,
        ),
      },
    );
    return { outcome: "ready" as const, chunks: chunks.length };
  } catch (thrown) {
    // What the file itself makes impossible (corrupt, encrypted, too many pages, text the database cannot index)
    // is final; the rest (a model or the database unavailable) is retried.
    const err = normalizeError(thrown);
    if (["unprocessable", "payload_too_large", "invalid_request", "unsupported_media_type"].includes(err.code)) {
      return await failDocument(ctx, doc, err.message);
    }
    if (opts.lastAttempt) {
      ctx.log.warn("document processing gave up", { documentId, err });
      return await failDocument(ctx, doc, "Processing failed after several attempts (the embedding model or storage was unavailable)");
    }
    throw err;
  }
}

async function failDocument(ctx: ServiceContext, doc: DocumentRow, reason: string) {
  await changeWithEvent(
    ctx,
    d,
    ctx.db.query
      .update(d)
      .set({ status: "failed", error: reason.slice(0, 500), updatedAt: new Date() })
      .where(inScope(d, ctx.principal, eq(d.id, doc.id), eq(d.status, "processing"))),
    statusEvent(ctx, doc, "failed", reason),
  );
  return { outcome: "failed" as const, error: reason };
}

/**
 * How long a document may stay `processing` without a change before the cron calls it failed: longer than every
 * retry of the queue (their backoffs add up to about ten minutes) plus a processing run.
 */
export const STALE_PROCESSING_SECONDS = 30 * 60;

/**
 * Documents that will never finish — their event was dead-lettered, or their processing stopped (an isolate killed
 * mid-run, repeatedly) — become `failed` with a reason and their event, in one statement. `documentId` limits it to
 * one dead-lettered document; without it, the cron's sweep of stale `processing` documents.
 */
export async function failUnfinishedDocuments(
  db: ServiceContext["db"],
  target: { tenantId: string | null; projectId: string | null; documentId: string } | { limit: number },
): Promise<number> {
  const reason =
    "documentId" in target
      ? "Processing failed on every attempt (the file may be too large or complex to read); upload it again to retry"
      : "Processing stopped and did not finish; upload the file again to retry";
  const which =
    "documentId" in target
      ? sql`id = ${target.documentId}::uuid and tenant_id = ${target.tenantId}::uuid and project_id = ${target.projectId}::uuid
            and status in ('pending', 'processing')`
      : sql`id in (select id from documents where status = 'processing'
                   and updated_at < now() - make_interval(secs => ${STALE_PROCESSING_SECONDS})
                   order by updated_at limit ${target.limit}::int)`;
  const { rows } = await db.query.execute<{ id: string }>(sql`
    with upd as (
      update documents set status = 'failed', error = ${reason}, updated_at = now()
      where ${which}
      returning id, tenant_id, project_id, title, contact_id
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ventros_uuidv7(), u.tenant_id, u.project_id, 'document.status_changed',
             jsonb_build_object('documentId', u.id, 'title', u.title, 'contactId', u.contact_id, 'status', 'failed',
                                'error', ${reason}::text)
      from upd u
      returning id
    )
    select id from upd`);
  return rows.length;
}
