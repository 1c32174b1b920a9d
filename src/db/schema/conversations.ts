import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { agents, channels, contacts } from "./crm";
import { contentTypeEnum, messageDirectionEnum, messageStatusEnum, sessionStatusEnum } from "./enums";
import { scope } from "./scope";

export const sessions = pgTable(
  "sessions",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    channelId: uuid("channel_id").references(() => channels.id, { onDelete: "set null" }),
    agentId: uuid("agent_id").references(() => agents.id, { onDelete: "set null" }),
    status: sessionStatusEnum("status").notNull().default("active"),
    startedAt: ts("started_at").notNull().defaultNow(),
    lastActivityAt: ts("last_activity_at").notNull().defaultNow(),
    endedAt: ts("ended_at"),
    endReason: text("end_reason"),
    timeoutMinutes: integer("timeout_minutes").notNull().default(30),
    messageCount: integer("message_count").notNull().default(0),
    inboundCount: integer("inbound_count").notNull().default(0),
    outboundCount: integer("outbound_count").notNull().default(0),
    firstResponseAt: ts("first_response_at"),
    summary: text("summary"),
    /** When a human released the conversation back to the AI: human replies before it no longer silence the AI. */
    aiReleasedAt: ts("ai_released_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // At most one open conversation per contact and channel: concurrent webhooks race on this, not on app code.
    uniqueIndex("sessions_one_active_uq").on(t.contactId, t.channelId).where(sql`${t.status} = 'active'`),
    index("sessions_scope_idx").on(t.tenantId, t.projectId, t.status, t.id),
    index("sessions_contact_idx").on(t.contactId, t.startedAt),
  ],
);

export const messages = pgTable(
  "messages",
  {
    id: id(),
    ...scope(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    channelId: uuid("channel_id").references(() => channels.id, { onDelete: "set null" }),
    direction: messageDirectionEnum("direction").notNull(),
    contentType: contentTypeEnum("content_type").notNull().default("text"),
    status: messageStatusEnum("status").notNull(),
    body: text("body"),
    mediaUrl: text("media_url"),
    mediaMimetype: text("media_mimetype"),
    mediaFilename: text("media_filename"),
    replyToMessageId: uuid("reply_to_message_id"),
    replyToChannelMessageId: text("reply_to_channel_message_id"),
    /** WhatsApp's id for the message (WAHA `payload.id`); null until an outbound message is accepted. */
    channelMessageId: text("channel_message_id"),
    fromMe: boolean("from_me").notNull().default(false),
    participant: text("participant"),
    sentByAgentId: uuid("sent_by_agent_id").references(() => agents.id, { onDelete: "set null" }),
    error: text("error"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default({}),
    reactions: jsonb("reactions").$type<Record<string, string>>().notNull().default({}),
    /** When the message happened according to the channel (WhatsApp timestamp). */
    sentAt: ts("sent_at"),
    deliveredAt: ts("delivered_at"),
    readAt: ts("read_at"),
    editedAt: ts("edited_at"),
    revokedAt: ts("revoked_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("messages_channel_message_uq").on(t.channelId, t.channelMessageId),
    index("messages_session_idx").on(t.sessionId, t.id),
    index("messages_contact_idx").on(t.contactId, t.id),
    index("messages_scope_idx").on(t.tenantId, t.projectId, t.id),
  ],
);

/**
 * Acks that arrived before the outbound message learned its WhatsApp id (WAHA can ack before our send call has
 * stored the id). The outbound pipeline applies them as soon as it stores the id.
 */
export const pendingMessageAcks = pgTable(
  "pending_message_acks",
  {
    id: id(),
    ...scope(),
    channelId: uuid("channel_id")
      .notNull()
      .references(() => channels.id, { onDelete: "cascade" }),
    channelMessageId: text("channel_message_id").notNull(),
    ack: integer("ack").notNull(),
    participant: text("participant"),
    createdAt: createdAt(),
  },
  (t) => [
    index("pending_message_acks_lookup_idx").on(t.channelId, t.channelMessageId),
    index("pending_message_acks_scope_idx").on(t.tenantId, t.projectId),
  ],
);
