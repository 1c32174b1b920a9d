import { index, integer, jsonb, pgEnum, pgTable, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, ts, updatedAt } from "./columns";
import { messages } from "./conversations";
import { contacts } from "./crm";
import { messageDirectionEnum } from "./enums";
import { scope } from "./scope";

/**
 * Where a message's file is: `pending` (not fetched yet), `stored` (in R2 under `storage_key`), `unavailable` (WAHA
 * has no file for it: `media.url` null and the engine cannot fetch it, or a 404 after WAHA cleaned its files),
 * `too_large` (over MEDIA_MAX_BYTES, never downloaded whole), `failed` (retries ran out; `error` says why).
 */
export const mediaStatusEnum = pgEnum("media_status", ["pending", "stored", "unavailable", "too_large", "failed"]);

/**
 * What was learnt from the file: `pending`, `done` (result in `enrichment`), `failed` (retries ran out, `enrichment_error`),
 * `not_configured` (no provider for this kind of media: nothing is invented), `not_applicable` (a kind nothing reads,
 * e.g. video or stickers, or a file that was never stored).
 */
export const mediaEnrichmentStatusEnum = pgEnum("media_enrichment_status", [
  "pending",
  "done",
  "failed",
  "not_configured",
  "not_applicable",
]);

/** One row per message with media (inbound from WAHA, outbound through the API): the durable copy and what it says. */
export const messageMedia = pgTable(
  "message_media",
  {
    id: id(),
    ...scope(),
    messageId: uuid("message_id")
      .notNull()
      .references(() => messages.id, { onDelete: "cascade" }),
    // The R2 key is under the contact too, so erasing a contact erases its objects by prefix.
    contactId: uuid("contact_id")
      .notNull()
      .references(() => contacts.id, { onDelete: "cascade" }),
    sessionId: uuid("session_id"),
    direction: messageDirectionEnum("direction").notNull(),
    status: mediaStatusEnum("status").notNull().default("pending"),
    /** The type WAHA (or the API caller) declared. */
    declaredMimeType: text("declared_mime_type"),
    /** The type sniffed from the bytes (declared type only when the bytes say nothing). */
    mimeType: text("mime_type"),
    filename: text("filename"),
    bytes: integer("bytes"),
    sha256: text("sha256"),
    /** `{tenant}/{project}/media/{contact}/{message}` in the DOCUMENTS bucket. */
    storageKey: text("storage_key"),
    error: text("error"),
    attempts: integer("attempts").notNull().default(0),
    storedAt: ts("stored_at"),
    enrichmentStatus: mediaEnrichmentStatusEnum("enrichment_status").notNull().default("pending"),
    /** `transcript` (audio), `description` (image), `document` (PDF/text handed to the memory service). */
    enrichmentKind: text("enrichment_kind"),
    enrichmentProvider: text("enrichment_provider"),
    enrichmentModel: text("enrichment_model"),
    enrichment: jsonb("enrichment").$type<Record<string, unknown>>(),
    enrichmentError: text("enrichment_error"),
    enrichmentAttempts: integer("enrichment_attempts").notNull().default(0),
    enrichedAt: ts("enriched_at"),
    /** One consumer works on a row at a time (a twin delivery of its event waits): no file is downloaded twice. */
    leaseId: uuid("lease_id"),
    leaseUntil: ts("lease_until"),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    // One copy per message, however often its event is delivered.
    uniqueIndex("message_media_message_uq").on(t.messageId),
    index("message_media_scope_idx").on(t.tenantId, t.projectId, t.contactId),
  ],
);
