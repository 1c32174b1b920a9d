import { type SQL, sql } from "drizzle-orm";
import { schema } from "../../db";
import { chatIdFor, type Identifier } from "../../integrations/waha/chat-ids";
import type { WahaChannelConfig } from "../../integrations/waha/client";
import type { ServiceContext } from "../context";
import { inScope } from "../shared/scope";

type ChannelRow = typeof schema.channels.$inferSelect;

/**
 * What a WhatsApp call to a contact needs — the channel, the contact's identifiers and phone — as queries a caller
 * puts in its own batch (chatTargetFrom reads them). Each reference is an id, or an SQL expression yielding one (a
 * message's own channel and contact); a null channel finds none.
 */
export function chatTargetQueries(
  ctx: Pick<ServiceContext, "db" | "principal">,
  ref: { channel: string | SQL | null; contact: string | SQL },
) {
  const { channels, contactIdentifiers: identifiers, contacts } = schema;
  return [
    ctx.db.query
      .select()
      .from(channels)
      .where(inScope(channels, ctx.principal, ref.channel === null ? sql`false` : sql`${channels.id} = ${ref.channel}`)),
    ctx.db.query
      .select({ kind: identifiers.kind, value: identifiers.value })
      .from(identifiers)
      .where(inScope(identifiers, ctx.principal, sql`${identifiers.contactId} = ${ref.contact}`)),
    ctx.db.query
      .select({ phone: contacts.phone })
      .from(contacts)
      .where(inScope(contacts, ctx.principal, sql`${contacts.id} = ${ref.contact}`)),
  ] as const;
}

type Queries = ReturnType<typeof chatTargetQueries>;
export type ChatTargetRows = readonly [Awaited<Queries[0]>, Awaited<Queries[1]>, Awaited<Queries[2]>];

/** The channel (undefined when deleted) and the contact's chat id (undefined when it has none). */
export function chatTargetFrom([[channel], identifiers, [contact]]: ChatTargetRows): {
  channel: ChannelRow | undefined;
  chatId: string | undefined;
} {
  return { channel, chatId: chatIdFor(identifiers as Identifier[], contact?.phone) };
}

/** How a channel is reached through WAHA. */
export const wahaConfigOf = (channel: ChannelRow): WahaChannelConfig => ({
  baseUrl: channel.baseUrl,
  apiKey: channel.apiKey,
  session: channel.wahaSession,
});
