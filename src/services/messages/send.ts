import { desc, eq, sql } from "drizzle-orm";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import { uuidv7 } from "../../lib/ids";
import { assertCanWorkContact, loadContact } from "../contacts/access";
import type { ServiceContext } from "../context";
import { projectSettings } from "../projects/settings";
import { findOrOpenSession } from "../sessions/open";
import { findScoped } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";
import type { SendMessageInput } from "./schemas";

/**
 * Queues an outbound WhatsApp message: the message row (status `queued`), the session bookkeeping and the
 * `message.queued` event commit together; the queue consumer performs the WAHA call and moves it to `sent`.
 */
export async function sendMessage(
  ctx: ServiceContext,
  input: SendMessageInput,
  opts: { id?: string; metadata?: Record<string, unknown> } = {},
) {
  const contact = await loadContact(ctx, input.contactId);
  await assertCanWorkContact(ctx, contact);
  const channelId = input.channelId ?? (await defaultChannel(ctx, contact.id));
  const [channel, settings] = await Promise.all([findScoped(ctx, schema.channels, channelId, "Channel"), projectSettings(ctx)]);
  if (input.agentId) await findScoped(ctx, schema.agents, input.agentId, "Agent");
  let replyToChannelMessageId: string | null = null;
  if (input.replyToMessageId) {
    const replied = await findScoped(ctx, schema.messages, input.replyToMessageId, "Message", eq(schema.messages.contactId, contact.id));
    replyToChannelMessageId = replied.channelMessageId;
  }
  const scope = scopeValues(ctx.principal);
  const now = new Date();
  return ctx.db.transaction(async (tx) => {
    // A caller-chosen id (an AI reply: its execution's id) makes a repeated call return the first message, unchanged.
    if (opts.id) {
      const [existing] = await tx
        .select()
        .from(schema.messages)
        .where(inScope(schema.messages, ctx.principal, eq(schema.messages.id, opts.id)));
      if (existing) return existing;
    }
    const { session } = await findOrOpenSession(tx, ctx.outbox, scope, {
      contactId: contact.id,
      channelId: channel.id,
      timeoutMinutes: settings.sessionTimeoutMinutes,
      at: now,
    });
    const id = opts.id ?? uuidv7();
    const [message] = await tx
      .insert(schema.messages)
      .values({
        id,
        ...scope,
        sessionId: session.id,
        contactId: contact.id,
        channelId: channel.id,
        direction: "outbound",
        contentType: input.contentType,
        status: "queued",
        body: input.text ?? null,
        mediaUrl: input.media?.url ?? null,
        mediaMimetype: input.media?.mimetype ?? null,
        mediaFilename: input.media?.filename ?? null,
        replyToMessageId: input.replyToMessageId ?? null,
        replyToChannelMessageId,
        fromMe: true,
        sentByAgentId: input.agentId ?? null,
        metadata: { ...opts.metadata, sentBy: ctx.principal.actor },
      })
      .returning();
    await tx
      .update(schema.sessions)
      .set({
        messageCount: sql`${schema.sessions.messageCount} + 1`,
        outboundCount: sql`${schema.sessions.outboundCount} + 1`,
        lastActivityAt: now,
        firstResponseAt: sql`coalesce(${schema.sessions.firstResponseAt}, case when ${schema.sessions.inboundCount} > 0
          then ${now.toISOString()}::timestamptz end)`,
        agentId: input.agentId ? input.agentId : sql`${schema.sessions.agentId}`,
        updatedAt: now,
      })
      .where(inScope(schema.sessions, ctx.principal, eq(schema.sessions.id, session.id)));
    await tx
      .update(schema.contacts)
      .set({ lastInteractionAt: now })
      .where(inScope(schema.contacts, ctx.principal, eq(schema.contacts.id, contact.id)));
    const event = { messageId: id, sessionId: session.id, contactId: contact.id, channelId: channel.id, direction: "outbound" };
    await tx.insert(schema.outbox).values([ctx.outbox.event("message.created", event), ctx.outbox.event("message.queued", event)]);
    return message!;
  });
}

async function defaultChannel(ctx: ServiceContext, contactId: string): Promise<string> {
  const [recent] = await ctx.db.query
    .select({ channelId: schema.sessions.channelId })
    .from(schema.sessions)
    .where(inScope(schema.sessions, ctx.principal, eq(schema.sessions.contactId, contactId)))
    .orderBy(desc(schema.sessions.lastActivityAt))
    .limit(1);
  if (recent?.channelId) return recent.channelId;
  const channels = await ctx.db.query
    .select({ id: schema.channels.id })
    .from(schema.channels)
    .where(inScope(schema.channels, ctx.principal))
    .limit(2);
  if (channels.length === 1) return channels[0]!.id;
  throw new AppError("unprocessable", "channelId is required: the contact has no conversation and the project has no single channel", [
    { path: "channelId", message: "required" },
  ]);
}
