import { pgEnum } from "drizzle-orm/pg-core";

export const roleEnum = pgEnum("role", ["admin", "manager", "user", "readonly"]);
export const channelTypeEnum = pgEnum("channel_type", ["waha"]);
export const channelStatusEnum = pgEnum("channel_status", [
  "STOPPED",
  "STARTING",
  "SCAN_QR_CODE",
  "WORKING",
  "FAILED",
  "PASSKEY_REQUIRED",
  "PASSKEY_CONFIRMATION_REQUIRED",
  "UNKNOWN",
]);
export const identifierKindEnum = pgEnum("identifier_kind", ["phone", "wa_c_us", "wa_lid", "wa_group", "email"]);
export const sessionStatusEnum = pgEnum("session_status", ["active", "ended", "expired", "manually_closed"]);
export const messageDirectionEnum = pgEnum("message_direction", ["inbound", "outbound"]);
export const contentTypeEnum = pgEnum("content_type", [
  "text",
  "image",
  "video",
  "audio",
  "voice",
  "document",
  "location",
  "contact",
  "sticker",
  "system",
]);
export const messageStatusEnum = pgEnum("message_status", ["queued", "sent", "delivered", "read", "played", "failed"]);
export const agentKindEnum = pgEnum("agent_kind", ["human", "ai"]);
export const actorTypeEnum = pgEnum("actor_type", ["user", "api_key", "agent", "system", "contact"]);
export const stageKindEnum = pgEnum("stage_kind", ["open", "won", "lost"]);
export const documentTypeEnum = pgEnum("document_type", [
  "contract",
  "invoice",
  "proposal",
  "manual",
  "policy",
  "receipt",
  "report",
  "other",
]);
export const documentSourceEnum = pgEnum("document_source", ["upload", "whatsapp", "api"]);
export const documentStatusEnum = pgEnum("document_status", ["pending", "processing", "ready", "failed"]);
