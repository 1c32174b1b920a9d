import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { CursorValue, keyset, toPage } from "../../lib/pagination";
import { assertCanWorkContact, loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { changeWithEvent, findScoped, type PageQuery, requireFound } from "../shared/crud";
import { actorValues, inScope, scopeValues } from "../shared/scope";

/** Without defaults: an update changes the fields it names and nothing else (zod keeps `.default()` in `.partial()`). */
const NoteBase = z.object({ body: z.string().trim().min(1).max(20_000), pinned: z.boolean() });
export const NoteInput = NoteBase.extend({ pinned: NoteBase.shape.pinned.default(false), sessionId: z.uuid().nullish() });
/** The changeable fields of a note; the update verb adds the id and the "at least one field" rule. */
export const NoteFields = NoteBase.partial();

/** `opts.id`: a caller-chosen id (the AI's handover note: one per execution, however often the turn is retried). */
export async function createNote(ctx: ServiceContext, contactId: string, input: z.infer<typeof NoteInput>, opts: { id?: string } = {}) {
  const contact = await loadContact(ctx, contactId);
  await assertCanWorkContact(ctx, contact);
  if (input.sessionId) await findScoped(ctx, schema.sessions, input.sessionId, "Session", eq(schema.sessions.contactId, contactId));
  const scope = scopeValues(ctx.principal);
  const { actorType, actorId } = actorValues(ctx.principal);
  const id = opts.id ?? uuidv7();
  const [[note]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.notes)
      .values({ id, ...scope, contactId, ...input, authorType: actorType, authorId: actorId })
      .returning(),
    ctx.db.query.insert(schema.contactEvents).values({
      ...scope,
      contactId,
      sessionId: input.sessionId ?? null,
      type: "note.created",
      title: "Note added",
      payload: { excerpt: input.body.slice(0, 140) },
      actorType,
      actorId,
    }),
    ctx.db.query
      .insert(schema.outbox)
      .values(ctx.outbox.event("note.created", { noteId: id, contactId, sessionId: input.sessionId ?? null })),
  ] as const);
  return note!;
}

/** Pinned first, then newest: the cursor carries both keys, or a page boundary after a pinned note skips the rest. */
export async function listNotes(ctx: ServiceContext, contactId: string, q: PageQuery) {
  await loadContact(ctx, contactId);
  const n = schema.notes;
  const page = keyset({ sortKey: sql`${n.pinned}`, id: n.id, direction: "desc", cursor: q.cursor, value: CursorValue.boolean });
  const rows = await ctx.db.query
    .select()
    .from(n)
    .where(inScope(n, ctx.principal, eq(n.contactId, contactId), page.where))
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.pinned, r.id]);
}

/** Authors edit their own notes; managers and admins edit any. */
async function loadEditableNote(ctx: ServiceContext, id: string) {
  const note = await findScoped(ctx, schema.notes, id, "Note");
  const own = note.authorId === ctx.principal.actor.id;
  if (!own && ctx.principal.role !== "admin" && ctx.principal.role !== "manager") {
    throw new AppError("forbidden", "Only the author, a manager or an admin may change this note");
  }
  return note;
}

export async function updateNote(ctx: ServiceContext, id: string, input: z.infer<typeof NoteFields>) {
  const note = await loadEditableNote(ctx, id);
  const [row] = await changeWithEvent(
    ctx,
    schema.notes,
    ctx.db.query
      .update(schema.notes)
      .set({ ...input, updatedAt: sql`now()` })
      .where(inScope(schema.notes, ctx.principal, eq(schema.notes.id, id))),
    ctx.outbox.event("note.updated", { noteId: id, contactId: note.contactId, fields: Object.keys(input) }),
  );
  return requireFound(row, "Note", id);
}

export async function deleteNote(ctx: ServiceContext, id: string) {
  const note = await loadEditableNote(ctx, id);
  const [row] = await changeWithEvent(
    ctx,
    schema.notes,
    ctx.db.query.delete(schema.notes).where(inScope(schema.notes, ctx.principal, eq(schema.notes.id, id))),
    ctx.outbox.event("note.deleted", { contactId: note.contactId, noteId: id }),
  );
  requireFound(row, "Note", id);
}
