import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type Database, schema } from "../../db";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { storableText } from "../../lib/text";
import type { Topic } from "../../outbox/events";
import type { ServiceContext } from "../context";
import { DEFAULT_SESSION_TIMEOUT_MINUTES } from "../sessions/open";
import { requireFound } from "../shared/crud";
import { inScope } from "../shared/scope";
import type { SendMessageInput } from "./schemas";

type ChannelRow = typeof schema.channels.$inferSelect;

/**
 * Every string of the function's input made storable: REST and MCP refuse what jsonb cannot hold, but callers
 * inside the Worker (an agent's reply, its metadata) are not behind that guard.
 */
const storable = (_key: string, value: unknown) => (typeof value === "string" ? storableText(value) : value);

/** What `ventros_queue_outbound` (drizzle/0021_outbound_queue_function.sql) answers. */
type QueueOutcome =
  | { outcome: "existing" }
  | { outcome: "created"; session_id: string; outbox: { id: string; topic: Topic; payload: Record<string, unknown> }[] };

/**
 * Queues an outbound WhatsApp message: the message row (status `queued`), the session bookkeeping and the
 * `message.queued` event commit together; the queue consumer performs the WAHA call and moves it to `sent`.
 * Two database round trips: one batch of every read the checks need, then one batch that writes (ventros_queue_outbound)
 * and reads the message row back.
 */
export async function sendMessage(
  ctx: ServiceContext,
  input: SendMessageInput,
  opts: { id?: string; metadata?: Record<string, unknown> } = {},
) {
  const { contact, channel, timeoutMinutes, replyToChannelMessageId } = await checkSend(ctx, input);
  const p = ctx.principal;
  const now = new Date();
  // A caller-chosen id (an AI reply: its execution's id) makes a repeated call return the first message, unchanged.
  const id = opts.id ?? uuidv7();
  // Built here (the verb's declared emits are checked, the ids are ours); the session id is added by the function.
  const payload: Record<string, unknown> = { messageId: id, contactId: contact.id, channelId: channel.id, direction: "outbound" };
  const events = [ctx.outbox.event("message.created", payload), ctx.outbox.event("message.queued", payload)];
  const queue = {
    tenant_id: p.tenantId,
    project_id: p.projectId,
    message_id: id,
    contact_id: contact.id,
    channel_id: channel.id,
    agent_id: input.agentId ?? null,
    at: now.toISOString(),
    timeout_minutes: timeoutMinutes,
    message: {
      content_type: input.contentType,
      body: input.text ?? null,
      media_url: input.media?.url ?? null,
      media_mimetype: input.media?.mimetype ?? null,
      media_filename: input.media?.filename ?? null,
      reply_to_message_id: input.replyToMessageId ?? null,
      reply_to_channel_message_id: replyToChannelMessageId,
      metadata: { ...opts.metadata, sentBy: p.actor },
    },
    events: events.map((e) => ({ id: e.id, topic: e.topic, payload: e.payload })),
  };
  const m = schema.messages;
  // One batch, one transaction, in order: the select sees the row the function wrote (or the existing one). The call
  // is a query builder (a select from a one-row source) rather than db.execute, like the other statements of a batch.
  const [[queued], [message]] = await ctx.db.batch([
    ctx.db.query
      .select({ r: sql<QueueOutcome | string>`ventros_queue_outbound(${JSON.stringify(queue, storable)}::jsonb)` })
      .from(sql`(select) as once`),
    ctx.db.query
      .select()
      .from(m)
      .where(inScope(m, p, eq(m.id, id))),
  ]);
  const r = (typeof queued!.r === "string" ? JSON.parse(queued!.r) : queued!.r) as QueueOutcome;
  if (r.outcome === "existing") {
    // Nothing was written: the events built above must not be published.
    ctx.outbox.discard(events.map((e) => e.id));
    return message!;
  }
  payload.sessionId = r.session_id;
  // The session events the function wrote, from its answer, then the two built above: published in that order (a
  // conversation is announced before its first message). Outside an open transaction the batch has committed, so
  // they are published from memory; inside one, by id once it commits.
  const committed = !ctx.db.inTransaction;
  ctx.outbox.discard(events.map((e) => e.id));
  for (const o of r.outbox) ctx.outbox.track(o.id, committed ? { ...o, tenantId: p.tenantId, projectId: p.projectId } : undefined);
  for (const e of events) ctx.outbox.track(e.id, committed ? e : undefined);
  return message!;
}

/**
 * Every read the send depends on, in one round trip, then the checks in the order (and with the errors) a caller
 * has always seen: contact 404, contact assigned to someone else 403, no channel to default to 422, channel 404,
 * agent 404, replied message 404. Reads that do not apply are left out of the batch.
 */
async function checkSend(ctx: ServiceContext, input: SendMessageInput) {
  const p = ctx.principal;
  const q = ctx.db.query;
  const { contacts: c, channels: ch, sessions: s, agents: a, messages: m, projects } = schema;
  const reads = await readAll(ctx.db, {
    contact: q
      .select()
      .from(c)
      .where(inScope(c, p, eq(c.id, input.contactId), isNull(c.deletedAt))),
    // The `user` role works unassigned contacts and those assigned to their own agent: whether the assigned agent
    // is theirs is read through the contact, so it does not wait for the contact row.
    mine:
      p.role === "user"
        ? q
            .select({ id: a.id })
            .from(c)
            .innerJoin(a, inScope(a, p, eq(a.id, c.assignedAgentId)))
            .where(inScope(c, p, eq(c.id, input.contactId), eq(a.userId, p.actor.id)))
        : undefined,
    project: q.select({ settings: projects.settings }).from(projects).where(eq(projects.id, p.projectId)),
    channel: input.channelId
      ? q
          .select()
          .from(ch)
          .where(inScope(ch, p, eq(ch.id, input.channelId)))
      : undefined,
    // Without a channel: the one of the contact's most recent conversation, else the project's only channel.
    recent: input.channelId
      ? undefined
      : q
          .select({ channelId: s.channelId, channel: ch })
          .from(s)
          .leftJoin(ch, and(eq(ch.id, s.channelId), inScope(ch, p)))
          .where(inScope(s, p, eq(s.contactId, input.contactId)))
          .orderBy(desc(s.lastActivityAt))
          .limit(1),
    candidates: input.channelId ? undefined : q.select().from(ch).where(inScope(ch, p)).limit(2),
    agent: input.agentId
      ? q
          .select({ id: a.id })
          .from(a)
          .where(inScope(a, p, eq(a.id, input.agentId)))
      : undefined,
    replied: input.replyToMessageId
      ? q
          .select({ channelMessageId: m.channelMessageId })
          .from(m)
          .where(inScope(m, p, eq(m.id, input.replyToMessageId), eq(m.contactId, input.contactId)))
      : undefined,
  });

  const contact = requireFound(reads.contact[0], "Contact", input.contactId);
  if (p.role === "user" && contact.assignedAgentId && !reads.mine?.length) {
    throw new AppError("forbidden", "This contact is assigned to someone else");
  }
  const channel = input.channelId
    ? requireFound(reads.channel?.[0], "Channel", input.channelId)
    : defaultChannel(reads.recent ?? [], reads.candidates ?? []);
  if (input.agentId) requireFound(reads.agent?.[0], "Agent", input.agentId);
  const replied = input.replyToMessageId ? requireFound(reads.replied?.[0], "Message", input.replyToMessageId) : undefined;
  return {
    contact,
    channel,
    timeoutMinutes: reads.project[0]?.settings.sessionTimeoutMinutes ?? DEFAULT_SESSION_TIMEOUT_MINUTES,
    replyToChannelMessageId: replied?.channelMessageId ?? null,
  };
}

function defaultChannel(recent: { channelId: string | null; channel: ChannelRow | null }[], candidates: ChannelRow[]): ChannelRow {
  const [last] = recent;
  if (last?.channelId) return requireFound(last.channel ?? undefined, "Channel", last.channelId);
  if (candidates.length === 1) return candidates[0]!;
  throw new AppError("unprocessable", "channelId is required: the contact has no conversation and the project has no single channel", [
    { path: "channelId", message: "required" },
  ]);
}

type Reads = Record<string, BatchItem<"pg"> | undefined>;
type ReadResults<R extends Reads> = {
  [K in keyof R]: R[K] extends BatchItem<"pg">
    ? R[K]["_"]["result"]
    : Exclude<R[K], undefined> extends BatchItem<"pg">
      ? Exclude<R[K], undefined>["_"]["result"] | undefined
      : undefined;
};

/** Runs the given reads — those not undefined — in one batch (one round trip); each result under its read's name. */
async function readAll<R extends Reads>(db: Database, reads: R): Promise<ReadResults<R>> {
  const names = Object.keys(reads).filter((k) => reads[k] !== undefined);
  const results = await db.batch(names.map((k) => reads[k]!) as unknown as [BatchItem<"pg">, ...BatchItem<"pg">[]]);
  return Object.fromEntries(names.map((k, i) => [k, results[i]])) as ReadResults<R>;
}
