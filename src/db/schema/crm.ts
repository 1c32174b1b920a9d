import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { actorTypeEnum, agentKindEnum, channelStatusEnum, channelTypeEnum, identifierKindEnum, stageKindEnum } from "./enums";
import { scope } from "./scope";
import { users } from "./tenancy";

export const channels = pgTable(
  "channels",
  {
    id: id(),
    ...scope(),
    type: channelTypeEnum("type").notNull().default("waha"),
    name: text("name").notNull(),
    wahaSession: text("waha_session").notNull(),
    baseUrl: text("base_url").notNull(),
    apiKey: text("api_key"),
    /** HMAC key of the WAHA webhooks; every channel has one (unsigned webhooks are refused). */
    webhookSecret: text("webhook_secret").notNull(),
    status: channelStatusEnum("status").notNull().default("UNKNOWN"),
    statusUpdatedAt: ts("status_updated_at"),
    settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("channels_project_session_uq").on(t.projectId, t.wahaSession),
    index("channels_scope_idx").on(t.tenantId, t.projectId),
  ],
);

export const agents = pgTable(
  "agents",
  {
    id: id(),
    ...scope(),
    kind: agentKindEnum("kind").notNull(),
    name: text("name").notNull(),
    userId: uuid("user_id").references(() => users.id, { onDelete: "set null" }),
    config: jsonb("config").$type<Record<string, unknown>>().notNull().default({}),
    active: boolean("active").notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("agents_scope_idx").on(t.tenantId, t.projectId)],
);

export const contacts = pgTable(
  "contacts",
  {
    id: id(),
    ...scope(),
    name: text("name"),
    phone: text("phone"),
    email: text("email"),
    customFields: jsonb("custom_fields").$type<Record<string, unknown>>().notNull().default({}),
    assignedAgentId: uuid("assigned_agent_id").references(() => agents.id, { onDelete: "set null" }),
    source: text("source"),
    language: text("language"),
    profilePictureUrl: text("profile_picture_url"),
    firstInteractionAt: ts("first_interaction_at"),
    lastInteractionAt: ts("last_interaction_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: ts("deleted_at"),
  },
  (t) => [
    index("contacts_scope_id_idx").on(t.tenantId, t.projectId, t.id),
    // One index per list sort order, matching the keyset expressions in services/contacts/list.ts.
    index("contacts_sort_created_idx").on(t.tenantId, t.projectId, t.createdAt, t.id).where(sql`${t.deletedAt} is null`),
    index("contacts_sort_name_idx").on(t.tenantId, t.projectId, sql`coalesce(${t.name}, '')`, t.id).where(sql`${t.deletedAt} is null`),
    index("contacts_sort_interaction_idx")
      .on(t.tenantId, t.projectId, sql`coalesce(${t.lastInteractionAt}, 'epoch'::timestamptz)`, t.id)
      .where(sql`${t.deletedAt} is null`),
    index("contacts_project_phone_idx").on(t.projectId, t.phone),
    index("contacts_project_email_idx").on(t.projectId, sql`lower(${t.email})`),
    index("contacts_name_trgm_idx").using("gin", sql`${t.name} gin_trgm_ops`),
    index("contacts_assigned_agent_idx").on(t.assignedAgentId),
  ],
);

export const contactIdentifiers = pgTable(
  "contact_identifiers",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    kind: identifierKindEnum("kind").notNull(),
    value: text("value").notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex("contact_identifiers_project_kind_value_uq").on(t.projectId, t.kind, t.value),
    index("contact_identifiers_contact_idx").on(t.contactId),
  ],
);

export const pipelines = pgTable(
  "pipelines",
  {
    id: id(),
    ...scope(),
    name: text("name").notNull(),
    description: text("description"),
    position: integer("position").notNull().default(0),
    archivedAt: ts("archived_at"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("pipelines_scope_idx").on(t.tenantId, t.projectId)],
);

export const stages = pgTable(
  "stages",
  {
    id: id(),
    ...scope(),
    pipelineId: uuid("pipeline_id")
      .notNull()
      .references(() => pipelines.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    position: integer("position").notNull().default(0),
    color: text("color"),
    kind: stageKindEnum("kind").notNull().default("open"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("stages_pipeline_idx").on(t.pipelineId, t.position)],
);

/** The stage a contact currently sits in, one row per (contact, pipeline). */
export const contactStages = pgTable(
  "contact_stages",
  {
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    pipelineId: uuid("pipeline_id")
      .notNull()
      .references(() => pipelines.id, { onDelete: "cascade" }),
    stageId: uuid("stage_id")
      .notNull()
      .references(() => stages.id, { onDelete: "cascade" }),
    enteredAt: ts("entered_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.pipelineId] }), index("contact_stages_stage_idx").on(t.stageId)],
);

export const contactStageHistory = pgTable(
  "contact_stage_history",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    pipelineId: uuid("pipeline_id")
      .notNull()
      .references(() => pipelines.id, { onDelete: "cascade" }),
    fromStageId: uuid("from_stage_id").references(() => stages.id, { onDelete: "set null" }),
    toStageId: uuid("to_stage_id").references(() => stages.id, { onDelete: "set null" }),
    actorType: actorTypeEnum("actor_type").notNull(),
    actorId: text("actor_id"),
    reason: text("reason"),
    createdAt: createdAt(),
  },
  (t) => [
    index("contact_stage_history_contact_idx").on(t.contactId, t.createdAt),
    index("contact_stage_history_scope_idx").on(t.tenantId, t.projectId, t.createdAt),
  ],
);

export const contactLists = pgTable(
  "contact_lists",
  {
    id: id(),
    ...scope(),
    name: text("name").notNull(),
    description: text("description"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("contact_lists_scope_idx").on(t.tenantId, t.projectId)],
);

export const contactListMembers = pgTable(
  "contact_list_members",
  {
    ...scope(),
    listId: uuid("list_id")
      .notNull()
      .references(() => contactLists.id, { onDelete: "cascade" }),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    addedAt: ts("added_at").notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.listId, t.contactId] }), index("contact_list_members_contact_idx").on(t.contactId)],
);

export const notes = pgTable(
  "notes",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id"),
    authorType: actorTypeEnum("author_type").notNull(),
    authorId: text("author_id"),
    body: text("body").notNull(),
    pinned: boolean("pinned").notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("notes_contact_idx").on(t.contactId, t.createdAt), index("notes_scope_idx").on(t.tenantId, t.projectId)],
);

export const tags = pgTable(
  "tags",
  {
    id: id(),
    ...scope(),
    name: text("name").notNull(),
    color: text("color"),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex("tags_project_name_uq").on(t.projectId, sql`lower(${t.name})`)],
);

export const contactTags = pgTable(
  "contact_tags",
  {
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    tagId: uuid("tag_id")
      .notNull()
      .references(() => tags.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.contactId, t.tagId] }), index("contact_tags_tag_idx").on(t.tagId)],
);

/** The contact timeline: one row per thing a person looking at the contact would want to see. */
export const contactEvents = pgTable(
  "contact_events",
  {
    id: id(),
    ...scope(),
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id"),
    type: text("type").notNull(),
    title: text("title"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    actorType: actorTypeEnum("actor_type").notNull(),
    actorId: text("actor_id"),
    occurredAt: ts("occurred_at").notNull().defaultNow(),
    createdAt: createdAt(),
  },
  (t) => [index("contact_events_contact_idx").on(t.contactId, t.occurredAt, t.id)],
);
