import { and, eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import { chatIdFor, type Identifier } from "../../integrations/waha/chat-ids";
import { type SendKind, sendViaWaha, WahaError } from "../../integrations/waha/client";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";
import { applyParkedAcks } from "../whatsapp/acks";

/** Attempts before a message is marked failed (the queue's max_retries + 1). */
export const MAX_SEND_ATTEMPTS = 6;
// A claim older than this belongs to a consumer that died mid-send; WAHA calls time out well before it.
const CLAIM_TTL = sql`interval '2 minutes'`;

export type DeliveryOutcome = "sent" | "already_handled" | "retry" | "failed";

/**
 * Sends one queued message through WAHA, at most once: the message is claimed with a conditional UPDATE before the
 * call, so a redelivered queue message (at-least-once) or a concurrent consumer finds nothing to do.
 */
export async function deliverMessage(
  ctx: ServiceContext,
  messageId: string,
  attempt: number,
): Promise<{ outcome: DeliveryOutcome; error?: string }> {
  const m = schema.messages;
  const [claimed] = await ctx.db.query
    .update(m)
    .set({
      metadata: sql`${m.metadata} || jsonb_build_object('sendingAt', now(), 'sendAttempts',
        coalesce((${m.metadata}->>'sendAttempts')::int, 0) + 1)`,
    })
    .where(
      inScope(
        m,
        ctx.principal,
        eq(m.id, messageId),
        eq(m.status, "queued"),
        eq(m.direction, "outbound"),
        sql`(${m.metadata}->>'sendingAt' is null or (${m.metadata}->>'sendingAt')::timestamptz < now() - ${CLAIM_TTL})`,
      ),
    )
    .returning();
  if (!claimed) return { outcome: "already_handled" };

  const [[channel], identifiers, [contact]] = await ctx.db.batch([
    ctx.db.query.select().from(schema.channels).where(eq(schema.channels.id, claimed.channelId!)),
    ctx.db.query
      .select({ kind: schema.contactIdentifiers.kind, value: schema.contactIdentifiers.value })
      .from(schema.contactIdentifiers)
      .where(eq(schema.contactIdentifiers.contactId, claimed.contactId)),
    ctx.db.query.select({ phone: schema.contacts.phone }).from(schema.contacts).where(eq(schema.contacts.id, claimed.contactId)),
  ] as const);
  const chatId = chatIdFor(identifiers as Identifier[], contact?.phone);
  if (!channel) return fail(ctx, claimed, "The channel was deleted");
  if (!chatId) return fail(ctx, claimed, "The contact has no WhatsApp identifier or phone number");

  try {
    const kind: SendKind = claimed.contentType === "text" ? "text" : (claimed.contentType as SendKind);
    const { messageId: waId } = await sendViaWaha(
      { baseUrl: channel.baseUrl, apiKey: channel.apiKey, session: channel.wahaSession },
      {
        kind,
        chatId,
        text: claimed.body,
        media: claimed.mediaUrl
          ? { url: claimed.mediaUrl, mimetype: claimed.mediaMimetype ?? "application/octet-stream", filename: claimed.mediaFilename }
          : undefined,
        replyTo: claimed.replyToChannelMessageId,
      },
    );
    const event = ctx.outbox.event("message.sent", {
      messageId,
      sessionId: claimed.sessionId,
      contactId: claimed.contactId,
      channelId: channel.id,
      status: "sent",
    });
    await ctx.db.batch([
      ctx.db.query
        .update(m)
        .set({
          status: "sent",
          channelMessageId: waId,
          sentAt: new Date(),
          error: null,
          metadata: sql`(${m.metadata} - 'sendingAt') || jsonb_build_object('chatId', ${chatId}::text)`,
          updatedAt: new Date(),
        })
        .where(and(eq(m.id, messageId), eq(m.status, "queued"))),
      ctx.db.query.insert(schema.outbox).values(event),
    ]);
    if (waId) {
      const parked = await applyParkedAcks(ctx.db, channel, waId);
      for (const id of parked) ctx.outbox.track(id);
    }
    return { outcome: "sent" };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    const retryable = err instanceof WahaError ? err.retryable : false;
    if (retryable && attempt < MAX_SEND_ATTEMPTS) {
      // Release the claim so the retry can take it; the message stays queued.
      await ctx.db.query
        .update(m)
        .set({ error: reason.slice(0, 1000), metadata: sql`${m.metadata} - 'sendingAt'` })
        .where(eq(m.id, messageId));
      return { outcome: "retry", error: reason };
    }
    return fail(ctx, claimed, reason);
  }
}

async function fail(ctx: ServiceContext, msg: typeof schema.messages.$inferSelect, reason: string) {
  const m = schema.messages;
  await ctx.db.batch([
    ctx.db.query
      .update(m)
      .set({ status: "failed", error: reason.slice(0, 1000), metadata: sql`${m.metadata} - 'sendingAt'`, updatedAt: new Date() })
      .where(eq(m.id, msg.id)),
    ctx.db.query.insert(schema.outbox).values(
      ctx.outbox.event("message.failed", {
        messageId: msg.id,
        sessionId: msg.sessionId,
        contactId: msg.contactId,
        channelId: msg.channelId,
        status: "failed",
        error: reason.slice(0, 300),
      }),
    ),
  ]);
  return { outcome: "failed" as const, error: reason };
}
