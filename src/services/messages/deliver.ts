import { and, eq, inArray, type SQL, sql } from "drizzle-orm";
import { schema } from "../../db";
import {
  DEFAULT_WAHA_TIMEOUT_MS,
  listChatMessages,
  type SendKind,
  type SendRequest,
  sendViaWaha,
  type WahaChannelConfig,
  type WahaChatMessage,
  WahaError,
} from "../../integrations/waha/client";
import { isUniqueViolation } from "../../lib/errors";
import type { OutboxRow } from "../../outbox/writer";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";
import { applyParkedAcks } from "../whatsapp/acks";
import { chatTargetFrom, chatTargetQueries, wahaConfigOf } from "./chat-target";
import { CLAIM_LEASE_SECONDS, MAX_WAHA_TIMEOUT_MS, ORPHANED_SEND_SECONDS } from "./lease";

export { CLAIM_LEASE_SECONDS } from "./lease";

/**
 * Send attempts before a message is marked failed, counted by the claim in `metadata.sendAttempts` (the queue's
 * own delivery count restarts with every re-queue and replay, so it cannot tell the last attempt).
 */
export const MAX_SEND_ATTEMPTS = 6;
/*
 * A claim is a lease (CLAIM_LEASE_SECONDS): the consumer that holds it is the message's only sender until it ends
 * the claim (sent, failed, unknown, or released for a retry) or the lease runs out — then its owner is presumed
 * dead, and whoever claims next (a redelivery, or the cron's sweep) must reconcile with WAHA before sending again.
 * The lease is renewed (guarded by the claim) immediately before the send; WAHA calls time out (WAHA_TIMEOUT_MS,
 * at most a third of the lease) well before it.
 */
/**
 * "Not in the chat" is only conclusive this long after the ambiguous attempt started: WAHA may still be working on
 * a send whose answer we lost (its call may have run a whole lease, and WAHA needs up to two timeouts more).
 */
export const notFoundGraceMs = (wahaTimeoutMs: number) => CLAIM_LEASE_SECONDS * 1000 + 2 * wahaTimeoutMs;
/** A listed message may be timestamped this much before the attempt started and still be ours (clock skew). */
const CLOCK_SKEW_MS = 30_000;
/** Reconciliation reads our messages since the attempt in pages of this size, at most this many pages. */
const RECONCILE_PAGE = 100;
const RECONCILE_MAX_PAGES = 20;
/**
 * The outcome no one can be sure of: WAHA may have sent the message, and after every attempt neither its answer
 * nor its chat listing says so. Stored as status `failed` with an error starting with this prefix, so an agent
 * checks the conversation on the phone before resending.
 */
export const DELIVERY_UNKNOWN = "delivery unknown: ";

export type DeliveryOutcome = "sent" | "already_handled" | "busy" | "retry" | "requeued" | "failed" | "unknown";
export interface DeliveryResult {
  outcome: DeliveryOutcome;
  /** A short reason, safe to log and store. */
  error?: string;
  /** For a retry: nothing can be decided before this many seconds (an earlier attempt's grace). */
  retryAfterSeconds?: number;
}

export interface DeliverOptions {
  wahaTimeoutMs?: number;
  /**
   * The sweep's mode for a stale claim: reconcile with WAHA (adopt the sent message) but never send; if the
   * message is not found, release it and queue a fresh `message.queued` event for the consumer.
   */
  reconcileOnly?: boolean;
  /** A test seam: runs right before the lease is renewed for the send (e.g. to take the claim away). */
  beforeSend?: () => Promise<void>;
  /** A test seam: runs after WAHA accepted the send, before it is recorded. */
  afterSend?: () => Promise<void>;
}

type Message = typeof schema.messages.$inferSelect;
interface Meta {
  sendingAt?: string;
  claimId?: string;
  /** The start of the earliest attempt that may have reached WhatsApp: reconcile before any new send. */
  ambiguousSince?: string;
  /** WAHA answered with success but recording it failed: adopt without sending again. */
  confirmedSent?: boolean;
  sentAs?: string | null;
  /** Claims that could send (the sweep's reconcile-only claims do not count). */
  sendAttempts?: number;
}
interface Lease {
  id: string;
  claimId: string;
}

const m = schema.messages;
const ownedBy = (lease: Lease) => sql`${m.id} = ${lease.id} and ${m.status} = 'queued' and ${m.metadata}->>'claimId' = ${lease.claimId}`;
const withoutClaim = sql`(${m.metadata} - 'sendingAt' - 'claimId')`;
const withoutDeliveryState = sql`(${m.metadata} - 'sendingAt' - 'claimId' - 'ambiguousSince' - 'confirmedSent' - 'sentAs')`;

/**
 * Sends one queued message through WAHA exactly once, or leaves it visibly `failed` (with a reason) — never twice,
 * never `queued` without an owner:
 *  - it is claimed first (a conditional UPDATE with a lease), so a redelivered queue message or a concurrent
 *    consumer finds it owned ("busy": retried, never acknowledged while the message is still queued);
 *  - a send whose outcome is unknown (timeout, dropped connection, 5xx) is never blindly repeated: WAHA has no
 *    idempotency key, so the next attempt first reads the chat's recent messages and adopts ours if it is there;
 *  - every status change is one guarded statement (`queued` and still ours → `sent`/`failed`) with its event;
 *  - our own failures (the database) release the claim and retry — they never mark the message failed.
 */
export async function deliverMessage(
  ctx: ServiceContext,
  messageId: string,
  /** The queue's delivery count: informational only (the last attempt is decided by `metadata.sendAttempts`). */
  _attempt: number,
  opts: DeliverOptions = {},
): Promise<DeliveryResult> {
  const timeoutMs = Math.min(opts.wahaTimeoutMs ?? DEFAULT_WAHA_TIMEOUT_MS, MAX_WAHA_TIMEOUT_MS);
  const claimId = crypto.randomUUID();
  // The claim and what a send needs (channel, identifiers, phone), in one round trip; the reads are of the
  // message's own channel and contact, found by its id (unused when the claim fails).
  const ofMessage = (column: "channel_id" | "contact_id") =>
    sql`(select ${sql.identifier(column)} from messages
          where id = ${messageId} and tenant_id = ${ctx.principal.tenantId} and project_id = ${ctx.principal.projectId})`;
  const [[claimed], ...targetRows] = await ctx.db.batch([
    // A claim taken over from an expired lease: its owner may have sent before dying — that attempt is ambiguous.
    ctx.db.query
      .update(m)
      .set({
        metadata: sql`${withoutClaim}
        || case when ${m.metadata}->>'sendingAt' is not null
             then jsonb_build_object('ambiguousSince', coalesce(${m.metadata}->'ambiguousSince', ${m.metadata}->'sendingAt'))
             else '{}'::jsonb end
        || jsonb_build_object('sendingAt', now(), 'claimId', ${claimId}::text,
             'sendAttempts', coalesce((${m.metadata}->>'sendAttempts')::int, 0) + ${opts.reconcileOnly ? 0 : 1})`,
      })
      .where(
        inScope(
          m,
          ctx.principal,
          eq(m.id, messageId),
          eq(m.status, "queued"),
          eq(m.direction, "outbound"),
          sql`(${m.metadata}->>'sendingAt' is null
             or (${m.metadata}->>'sendingAt')::timestamptz < now() - make_interval(secs => ${CLAIM_LEASE_SECONDS}))`,
        ),
      )
      .returning(),
    ...chatTargetQueries(ctx, { channel: ofMessage("channel_id"), contact: ofMessage("contact_id") }),
  ] as const);
  if (!claimed) {
    const [row] = await ctx.db.query
      .select({ status: m.status })
      .from(m)
      .where(inScope(m, ctx.principal, eq(m.id, messageId)));
    // Still queued: another consumer holds a live lease. Retry later — acknowledging now could strand it.
    if (row?.status === "queued") return { outcome: "busy" };
    return { outcome: "already_handled" };
  }
  const lease: Lease = { id: messageId, claimId };
  const meta = claimed.metadata as Meta;
  // The last attempt ends with a verdict (sent, failed, delivery unknown) instead of a retry.
  const last = !opts.reconcileOnly && (meta.sendAttempts ?? 1) >= MAX_SEND_ATTEMPTS;
  let requestSent = false;
  try {
    if (meta.confirmedSent) return await recordSent(ctx, claimed, lease, meta.sentAs ?? null, null, null, "answer");
    const { channel, chatId } = chatTargetFrom(targetRows);
    if (!channel) return await fail(ctx, claimed, lease, "The channel was deleted");
    if (!chatId) return await fail(ctx, claimed, lease, "The contact has no WhatsApp identifier or phone number");
    const waha = wahaConfigOf(channel);
    const kind: SendKind = claimed.contentType === "text" ? "text" : (claimed.contentType as SendKind);
    const request: SendRequest = {
      kind,
      chatId,
      text: claimed.body,
      media: claimed.mediaUrl
        ? { url: claimed.mediaUrl, mimetype: claimed.mediaMimetype ?? "application/octet-stream", filename: claimed.mediaFilename }
        : undefined,
      replyTo: claimed.replyToChannelMessageId,
    };
    const lookup = (since: string) => findSent(ctx, waha, claimed, request, since, timeoutMs);
    // Not sending now, and not a verdict yet: the last attempt says "delivery unknown", the sweep re-queues.
    const undecided = async (reason: string, verdict: string, waitMs?: number) => {
      if (last) return await markUnknown(ctx, claimed, lease, verdict);
      if (opts.reconcileOnly) return await requeue(ctx, claimed, lease, reason);
      // Waiting out the grace is not an attempt: this claim could not have sent.
      await release(ctx, lease, { error: reason, notAnAttempt: waitMs !== undefined });
      const retryAfterSeconds = waitMs === undefined ? undefined : Math.ceil(waitMs / 1000) + 1;
      return { outcome: "retry", error: reason, retryAfterSeconds } as DeliveryResult;
    };

    if (meta.ambiguousSince) {
      let found: Lookup;
      try {
        found = await lookup(meta.ambiguousSince);
      } catch {
        const reason = "An earlier attempt may have been sent and WAHA's chat could not be read to check";
        return await undecided(reason, reason);
      }
      if (found.state === "found") return await recordSent(ctx, claimed, lease, found.id, chatId, channel, "listing");
      if (found.state === "contested") {
        return await undecided(
          "An identical reply to this chat is also unconfirmed; checking WAHA again before any retry",
          "an identical reply to this chat was also unconfirmed, so the message in the chat cannot be told apart",
        );
      }
      // Not in the chat — yet: WAHA may still be working on that attempt. Only past the grace is it proof.
      const graceLeft = notFoundGraceMs(timeoutMs) - (Date.now() - new Date(meta.ambiguousSince).getTime());
      if (graceLeft > 0) {
        return await undecided(
          "An earlier attempt may still reach WhatsApp; checking WAHA again before any retry",
          "an earlier attempt may still reach WhatsApp and is not in the chat yet",
          graceLeft,
        );
      }
    }
    if (opts.reconcileOnly) return await requeue(ctx, claimed, lease, null);

    // The lease may have run out while we looked (and another consumer taken over): renew it, guarded by the claim,
    // right before sending — no row, no send.
    await opts.beforeSend?.();
    if (!(await renewLease(ctx, lease))) {
      ctx.log.warn("outbound delivery lost its claim before sending", { messageId });
      return { outcome: "retry", error: "The claim on the message was lost before sending" };
    }

    let sent: { messageId: string | null };
    try {
      requestSent = true;
      sent = await sendViaWaha(waha, request, timeoutMs);
    } catch (err) {
      if (!(err instanceof WahaError)) throw err;
      if (!err.ambiguous) {
        requestSent = false;
        if (err.retryable && !last) {
          await release(ctx, lease, { error: err.message });
          return { outcome: "retry", error: err.message };
        }
        return await fail(ctx, claimed, lease, err.message);
      }
      if (!last) {
        await release(ctx, lease, { error: `${err.message}; checking WAHA before any retry`, ambiguous: true });
        return { outcome: "retry", error: err.message };
      }
      // The last attempt: one look now, then a visible verdict.
      const since = meta.ambiguousSince ?? String(claimed.metadata.sendingAt);
      const found = await lookup(since).catch(() => undefined);
      if (found?.state === "found") return await recordSent(ctx, claimed, lease, found.id, chatId, channel, "listing");
      // Never "not sent": right after the attempt, not finding it proves nothing (see notFoundGraceMs).
      const why =
        found === undefined
          ? "WAHA's chat could not be read"
          : found.state === "contested"
            ? "an identical reply is also unconfirmed"
            : "the message is not in the chat yet";
      return await markUnknown(ctx, claimed, lease, `${err.message}, and ${why}`);
    }
    try {
      await opts.afterSend?.();
      return await recordSent(ctx, claimed, lease, sent.messageId, chatId, channel, "answer");
    } catch (err) {
      // WhatsApp has it: whatever happens next, this message must end `sent`, never be sent again.
      await release(ctx, lease, { ambiguous: true, confirmedSent: true, sentAs: sent.messageId }).catch(() => {});
      throw err;
    }
  } catch (err) {
    // Our own failure (the database, a bug): never a status change — release the claim (an attempt that may have
    // reached WAHA stays marked ambiguous) and let the queue retry. If even that fails, the lease runs out and the
    // sweep reconciles the message.
    ctx.log.warn("outbound delivery interrupted", { messageId, err });
    await release(ctx, lease, { ambiguous: requestSent }).catch(() => {});
    return { outcome: "retry", error: "An internal error interrupted the send" };
  }
}

/**
 * What the chat says about an earlier attempt: `found` (adopt that WhatsApp id), `absent` (no listed message can be
 * ours), or `contested` — identical messages are listed, but no more of them than our other identical replies that
 * may own them, so none can be attributed to this one (adopting could record another reply's id and resend nothing
 * for a message never sent; sending could send twice).
 */
type Lookup = { state: "found"; id: string } | { state: "absent" } | { state: "contested" };

/**
 * Looks for our message among the chat's latest messages: sent by us (fromMe, through the API when WAHA says),
 * same body/caption and media-ness, timestamped after the attempt started (minus clock skew), and not already the
 * WhatsApp id of another of our messages. We put no marker into the customer-visible text, so identical replies
 * are told apart by counting: a listed match is ours only when the unclaimed matches outnumber our other identical
 * replies that may have reached WhatsApp without their id being recorded (in flight, ambiguous, confirmed without
 * an id, sent without an id, or "delivery unknown"). Throws when WAHA cannot be read.
 */
async function findSent(
  ctx: ServiceContext,
  waha: WahaChannelConfig,
  msg: Message,
  req: SendRequest,
  since: string,
  timeoutMs: number,
): Promise<Lookup> {
  const after = new Date(since).getTime() - CLOCK_SKEW_MS;
  const listed: WahaChatMessage[] = [];
  // One deadline for the whole lookup, however many pages: it must end well inside the lease.
  const deadline = Date.now() + timeoutMs;
  for (let page = 0; page < RECONCILE_MAX_PAGES; page++) {
    const left = deadline - Date.now();
    if (left <= 0) throw new WahaError(`WAHA's chat could not be read within ${timeoutMs} ms`, null, true, true);
    const batch = await listChatMessages(
      waha,
      req.chatId,
      { sinceSeconds: after / 1000, limit: RECONCILE_PAGE, offset: page * RECONCILE_PAGE },
      left,
    );
    listed.push(...batch);
    // A short page is the last; so is one reaching past the window (a WAHA ignoring the timestamp filter).
    if (batch.length < RECONCILE_PAGE || batch.some((x) => x.timestamp * 1000 < after)) break;
    if (page === RECONCILE_MAX_PAGES - 1) throw new WahaError("Too many messages in the chat since the attempt to check", null, true);
  }
  const body = (req.text ?? "").trim();
  const candidates = listed.filter(
    (x) => x.fromMe && x.source !== "app" && x.timestamp * 1000 >= after && x.body.trim() === body && x.hasMedia === (req.kind !== "text"),
  );
  if (!candidates.length) return { state: "absent" };
  const afterIso = new Date(after).toISOString();
  // Our other identical replies in this chat: the ids they hold, and how many may hold a listed one unrecorded.
  const { rows: twins } = await ctx.db.query.execute<{ taken: string | null; unrecorded: boolean }>(sql`
    select coalesce(channel_message_id, metadata->>'sentAs') as taken,
           (channel_message_id is null and metadata->>'sentAs' is null and (
              (status = 'queued' and (metadata ? 'sendingAt' or metadata ? 'ambiguousSince' or metadata ? 'confirmedSent'))
              or (status = 'sent' and sent_at >= ${afterIso}::timestamptz)
              or (status = 'failed' and error like ${`${DELIVERY_UNKNOWN}%`} and updated_at >= ${afterIso}::timestamptz))) as unrecorded
    from messages
    where tenant_id = ${ctx.principal.tenantId}::uuid and project_id = ${ctx.principal.projectId}::uuid
      and channel_id = ${msg.channelId}::uuid and contact_id = ${msg.contactId}::uuid and direction = 'outbound'
      and id <> ${msg.id}::uuid and btrim(coalesce(body, ''), E' \t\r\n') = btrim(${req.text ?? ""}, E' \t\r\n')
      and (content_type = 'text') = ${req.kind === "text"}`);
  // An id held by any of our messages (even a differently worded one, by an earlier wrong adoption) is not free.
  const held = await ctx.db.query
    .select({ id: m.channelMessageId })
    .from(m)
    .where(
      inScope(
        m,
        ctx.principal,
        eq(m.channelId, msg.channelId!),
        inArray(
          m.channelMessageId,
          candidates.map((c) => c.id),
        ),
      ),
    );
  const used = new Set([...held.map((r) => r.id), ...twins.map((t) => t.taken).filter((x): x is string => !!x)]);
  const free = candidates.filter((c) => !used.has(c.id));
  if (!free.length) return { state: "absent" };
  const rivals = twins.filter((t) => t.unrecorded).length;
  if (free.length <= rivals) return { state: "contested" };
  // Every free match is an identical message and one of them is ours; the one listed nearest to our attempt's start
  // is the likeliest (a wrong pick only swaps which of two identical replies an ack is applied to).
  const start = new Date(since).getTime();
  const nearest = free.sort((a, b) => Math.abs(a.timestamp * 1000 - start) - Math.abs(b.timestamp * 1000 - start))[0]!;
  return { state: "found", id: nearest.id };
}

/** One guarded transition of a message we own, with its event written by the same statement (or neither). */
async function transition(ctx: ServiceContext, lease: Lease, set: SQL, event: OutboxRow | null) {
  const { rows } = await ctx.db.query.execute<{ id: string }>(sql`
    with upd as (
      update messages set ${set}, updated_at = now()
      where ${ownedBy(lease)} and tenant_id = ${ctx.principal.tenantId}::uuid and project_id = ${ctx.principal.projectId}::uuid
      returning id
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ${event?.id ?? null}::uuid, ${event?.tenantId ?? null}::uuid, ${event?.projectId ?? null}::uuid, ${event?.topic ?? null}::text,
             ${event ? JSON.stringify(event.payload) : null}::jsonb
      from upd where ${event !== null}
      returning id
    )
    select id from upd`);
  return rows.length > 0;
}

async function recordSent(
  ctx: ServiceContext,
  msg: Message,
  lease: Lease,
  waId: string | null,
  chatId: string | null,
  channel: { id: string; tenantId: string; projectId: string } | null,
  /** Where the id comes from: WAHA's answer to our send (certain), or the chat listing (an attribution). */
  source: "answer" | "listing",
): Promise<DeliveryResult> {
  const event = ctx.outbox.event("message.sent", {
    messageId: msg.id,
    sessionId: msg.sessionId,
    contactId: msg.contactId,
    channelId: msg.channelId,
    status: "sent",
  });
  const mark = (id: string | null, extra: SQL = sql`'{}'::jsonb`) =>
    transition(
      ctx,
      lease,
      sql`status = 'sent', channel_message_id = ${id}, sent_at = now(), error = null,
          metadata = ${withoutDeliveryState} || ${chatId ? sql`jsonb_build_object('chatId', ${chatId}::text)` : sql`'{}'::jsonb`}
                     || ${extra}`,
      event,
    );
  let done: boolean;
  try {
    done = await mark(waId);
  } catch (err) {
    if (!waId || !isUniqueViolation(err, "messages_channel_message_uq")) throw err;
    if (source === "listing") {
      // Another reconciliation attributed that listed message first: look again later, never send meanwhile.
      const reason = "The message found in the chat was claimed by an identical reply; checking WAHA again";
      await release(ctx, lease, { error: reason });
      return { outcome: "retry", error: reason };
    }
    // WAHA said this id is ours, yet another message holds it: ours was sent all the same — record it without the
    // id (retrying could never succeed) and keep the id for a human to look at.
    ctx.log.warn("a sent message's WhatsApp id is held by another message", { messageId: msg.id, waId });
    done = await mark(null, sql`jsonb_build_object('sentAsHeldElsewhere', ${waId}::text)`);
  }
  if (!done) {
    await recordConfirmedElsewhere(ctx, msg.id, waId);
    return { outcome: "already_handled" };
  }
  if (waId && msg.channelId) {
    const ch = channel ?? { id: msg.channelId, tenantId: msg.tenantId, projectId: msg.projectId };
    const parked = await applyParkedAcks(ctx.db, ch, waId).catch(() => []);
    for (const id of parked) ctx.outbox.track(id);
  }
  return { outcome: "sent" };
}

async function fail(ctx: ServiceContext, msg: Message, lease: Lease, reason: string): Promise<DeliveryResult> {
  const safe = reason.slice(0, 300);
  const event = ctx.outbox.event("message.failed", {
    messageId: msg.id,
    sessionId: msg.sessionId,
    contactId: msg.contactId,
    channelId: msg.channelId,
    status: "failed",
    error: safe,
  });
  const done = await transition(ctx, lease, sql`status = 'failed', error = ${safe}, metadata = ${withoutClaim}`, event);
  return done ? { outcome: "failed", error: safe } : { outcome: "already_handled" };
}

async function markUnknown(ctx: ServiceContext, msg: Message, lease: Lease, reason: string): Promise<DeliveryResult> {
  const r = await fail(ctx, msg, lease, `${DELIVERY_UNKNOWN}${reason}`);
  return r.outcome === "failed" ? { outcome: "unknown", error: r.error } : r;
}

/** Renews our lease for the send: true only if the message is still queued and the claim still ours. */
async function renewLease(ctx: ServiceContext, lease: Lease): Promise<boolean> {
  const { rows } = await ctx.db.query.execute<{ id: string }>(sql`
    update messages set metadata = metadata || jsonb_build_object('sendingAt', now()), updated_at = now()
    where ${ownedBy(lease)} and tenant_id = ${ctx.principal.tenantId}::uuid and project_id = ${ctx.principal.projectId}::uuid
      and not (metadata ? 'confirmedSent')
    returning id`);
  return rows.length > 0;
}

/**
 * WhatsApp has the message but our claim was taken over meanwhile: leave the id for whoever holds it now (it reads
 * `confirmedSent` before sending, and its lease renewal refuses to send once it is set) instead of dropping it.
 */
async function recordConfirmedElsewhere(ctx: ServiceContext, messageId: string, waId: string | null) {
  await ctx.db.query.execute(sql`
    update messages set metadata = metadata || jsonb_build_object('confirmedSent', true, 'sentAs', ${waId}::text), updated_at = now()
    where id = ${messageId}::uuid and status = 'queued'
      and tenant_id = ${ctx.principal.tenantId}::uuid and project_id = ${ctx.principal.projectId}::uuid`);
}

/** Ends our claim without a status change; the queue's retry (or a re-queued event) takes it from here. */
async function release(
  ctx: ServiceContext,
  lease: Lease,
  o: { error?: string | null; ambiguous?: boolean; confirmedSent?: boolean; sentAs?: string | null; notAnAttempt?: boolean },
) {
  const extra = o.ambiguous
    ? sql` || jsonb_build_object('ambiguousSince', coalesce(${m.metadata}->'ambiguousSince', ${m.metadata}->'sendingAt'))`
    : sql``;
  const confirmed = o.confirmedSent ? sql` || jsonb_build_object('confirmedSent', true, 'sentAs', ${o.sentAs ?? null}::text)` : sql``;
  const uncounted = o.notAnAttempt
    ? sql` || jsonb_build_object('sendAttempts', greatest(coalesce((${m.metadata}->>'sendAttempts')::int, 1) - 1, 0))`
    : sql``;
  const error = o.error !== undefined ? sql`, error = ${o.error?.slice(0, 300) ?? null}` : sql``;
  await transition(ctx, lease, sql`metadata = ${withoutClaim}${extra}${confirmed}${uncounted}${error}`, null);
}

/** The sweep's release: the message goes back to the queue through a fresh event, in the same statement. */
async function requeue(ctx: ServiceContext, msg: Message, lease: Lease, reason: string | null): Promise<DeliveryResult> {
  const event = ctx.outbox.event("message.queued", {
    messageId: msg.id,
    sessionId: msg.sessionId,
    contactId: msg.contactId,
    channelId: msg.channelId,
    direction: "outbound",
  });
  const done = await transition(ctx, lease, sql`metadata = ${withoutClaim}${reason ? sql`, error = ${reason}` : sql``}`, event);
  return done ? { outcome: "requeued", error: reason ?? undefined } : { outcome: "already_handled" };
}

/**
 * The cron's safety net for claims whose lease ran out (a Worker killed mid-send, a release that failed): each is
 * reconciled with WAHA — adopted as `sent` if WhatsApp has it, otherwise put back on the queue (the consumer
 * reconciles again before sending). Returns what happened to each.
 */
export async function reconcileStaleClaims(
  db: ServiceContext["db"],
  makeContext: (scope: { tenantId: string; projectId: string }) => ServiceContext,
  opts: { wahaTimeoutMs?: number; limit?: number } = {},
): Promise<Record<string, number>> {
  const stale = await db.query
    .select({ id: m.id, tenantId: m.tenantId, projectId: m.projectId })
    .from(m)
    .where(
      and(
        eq(m.status, "queued"),
        eq(m.direction, "outbound"),
        sql`(${m.metadata}->>'sendingAt')::timestamptz < now() - make_interval(secs => ${CLAIM_LEASE_SECONDS})`,
      ),
    )
    .limit(opts.limit ?? 25);
  const counts: Record<string, number> = {};
  for (const row of stale) {
    const ctx = makeContext(row);
    const r = await deliverMessage(ctx, row.id, 1, { wahaTimeoutMs: opts.wahaTimeoutMs, reconcileOnly: true }).catch(() => ({
      outcome: "retry" as const,
    }));
    counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  }
  return counts;
}

/**
 * The cron's net for sends nothing will deliver any more: outbound `queued`, unclaimed, and not updated for longer
 * than all of the queue's backoff (ORPHANED_SEND_SECONDS) — their event was lost. Each gets a fresh `message.queued`
 * event, in the statement that touches it, guarded by the `updated_at` read (a consumer or an agent that acted
 * since wins). Returns how many were re-queued.
 */
export async function requeueOrphanedSends(
  db: ServiceContext["db"],
  makeContext: (scope: { tenantId: string; projectId: string }) => ServiceContext,
  opts: { limit?: number } = {},
): Promise<number> {
  const { rows } = await db.query.execute<{
    id: string;
    tenant_id: string;
    project_id: string;
    session_id: string | null;
    contact_id: string;
    channel_id: string | null;
    seen: string;
  }>(sql`
    select id, tenant_id, project_id, session_id, contact_id, channel_id, updated_at::text as seen
    from messages
    where status = 'queued' and direction = 'outbound' and metadata->>'sendingAt' is null
      and updated_at < now() - make_interval(secs => ${ORPHANED_SEND_SECONDS})
    order by updated_at
    limit ${opts.limit ?? 25}`);
  let requeued = 0;
  for (const row of rows) {
    const ctx = makeContext({ tenantId: row.tenant_id, projectId: row.project_id });
    const event = ctx.outbox.event("message.queued", {
      messageId: row.id,
      sessionId: row.session_id,
      contactId: row.contact_id,
      channelId: row.channel_id,
      direction: "outbound",
    });
    const { rows: done } = await db.query.execute<{ id: string }>(sql`
      with upd as (
        update messages set updated_at = now()
        where id = ${row.id}::uuid and tenant_id = ${row.tenant_id}::uuid and project_id = ${row.project_id}::uuid
          and status = 'queued' and direction = 'outbound' and metadata->>'sendingAt' is null
          and updated_at = ${row.seen}::timestamptz
        returning id
      ), evt as (
        insert into outbox (id, tenant_id, project_id, topic, payload)
        select ${event.id}::uuid, ${event.tenantId}::uuid, ${event.projectId}::uuid, ${event.topic}::text,
               ${JSON.stringify(event.payload)}::jsonb
        from upd
        returning id
      )
      select id from upd`);
    if (done.length) requeued++;
  }
  return requeued;
}

/**
 * The queue gave up on a `message.queued` event (it is now a dead letter): the message must not stay `queued`
 * with no error and no owner. Unless a consumer still holds a live claim on it, it becomes `failed` with a reason
 * — "delivery unknown" when an attempt may have reached WhatsApp — and `deadLettered` in its metadata, so a replay
 * of the dead letter can put it back on the queue.
 */
export async function markSendDeadLettered(
  db: ServiceContext["db"],
  scope: { tenantId: string | null; projectId: string | null },
  messageId: string,
  attempts: number,
): Promise<boolean> {
  const notSent = `not sent: the send was dead-lettered after ${attempts} attempts; replay it or send again`;
  const unknown = `${DELIVERY_UNKNOWN}dead-lettered after ${attempts} attempts; an earlier attempt may have reached WhatsApp`;
  const { rows } = await db.query.execute<{ id: string }>(sql`
    with upd as (
      update messages set status = 'failed',
        error = case when metadata->>'ambiguousSince' is not null or metadata->>'confirmedSent' is not null
                          or metadata->>'sendingAt' is not null
                     then ${unknown} else ${notSent} end,
        -- An expired claim is an attempt that may have reached WhatsApp (its Worker died): a replay looks first.
        metadata = (metadata - 'sendingAt' - 'claimId')
          || case when metadata->>'sendingAt' is not null
               then jsonb_build_object('ambiguousSince', coalesce(metadata->'ambiguousSince', metadata->'sendingAt'))
               else '{}'::jsonb end
          || '{"deadLettered": true}'::jsonb,
        updated_at = now()
      where id = ${messageId}::uuid and tenant_id = ${scope.tenantId}::uuid and project_id = ${scope.projectId}::uuid
        and status = 'queued' and direction = 'outbound'
        and (metadata->>'sendingAt' is null
             or (metadata->>'sendingAt')::timestamptz < now() - make_interval(secs => ${CLAIM_LEASE_SECONDS}))
      returning id, session_id, contact_id, channel_id, error
    ), evt as (
      insert into outbox (id, tenant_id, project_id, topic, payload)
      select ventros_uuidv7(), ${scope.tenantId}::uuid, ${scope.projectId}::uuid, 'message.failed',
             jsonb_build_object('messageId', u.id, 'sessionId', u.session_id, 'contactId', u.contact_id, 'channelId', u.channel_id,
                                'status', 'failed', 'error', u.error)
      from upd u
      returning id
    )
    select id from evt`);
  return rows.length > 0;
}
