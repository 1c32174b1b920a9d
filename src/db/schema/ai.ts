import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, updatedAt } from "./columns";
import { channels } from "./crm";
import { scope } from "./scope";

/** Weekly opening hours, local to `timeZone`: day (0 = Sunday … 6 = Saturday) → ["HH:MM", "HH:MM"] ranges. */
export interface BusinessHours {
  timeZone: string;
  days: Partial<Record<"0" | "1" | "2" | "3" | "4" | "5" | "6", [string, string][]>>;
}

/**
 * AI agent settings: one row per project (`channel_id` null) and optional per-channel overrides. In an override a
 * null column inherits the project's value; in the project row a null column takes the built-in default
 * (src/services/ai/settings.ts).
 */
export const aiSettings = pgTable(
  "ai_settings",
  {
    id: id(),
    ...scope(),
    channelId: uuid("channel_id").references(() => channels.id, { onDelete: "cascade" }),
    enabled: boolean("enabled"),
    agentType: text("agent_type"),
    businessHours: jsonb("business_hours").$type<BusinessHours>(),
    quietWindowMs: integer("quiet_window_ms"),
    streaming: boolean("streaming"),
    optOutTag: text("opt_out_tag"),
    rateLimitCount: integer("rate_limit_count"),
    rateLimitWindowMinutes: integer("rate_limit_window_minutes"),
    onFailure: text("on_failure"),
    fallbackText: text("fallback_text"),
    handoverAgentId: uuid("handover_agent_id"),
    handoverNote: text("handover_note"),
    timeoutSeconds: integer("timeout_seconds"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex("ai_settings_project_uq").on(t.projectId).where(sql`${t.channelId} is null`),
    uniqueIndex("ai_settings_channel_uq").on(t.projectId, t.channelId).where(sql`${t.channelId} is not null`),
    index("ai_settings_scope_idx").on(t.tenantId, t.projectId),
  ],
);
