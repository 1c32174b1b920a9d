CREATE TYPE "public"."media_enrichment_status" AS ENUM('pending', 'done', 'failed', 'not_configured', 'not_applicable');--> statement-breakpoint
CREATE TYPE "public"."media_status" AS ENUM('pending', 'stored', 'unavailable', 'too_large', 'failed');--> statement-breakpoint
CREATE TABLE "message_media" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"message_id" uuid NOT NULL,
	"contact_id" uuid NOT NULL,
	"session_id" uuid,
	"direction" "message_direction" NOT NULL,
	"status" "media_status" DEFAULT 'pending' NOT NULL,
	"declared_mime_type" text,
	"mime_type" text,
	"filename" text,
	"bytes" integer,
	"sha256" text,
	"storage_key" text,
	"error" text,
	"attempts" integer DEFAULT 0 NOT NULL,
	"stored_at" timestamp with time zone,
	"enrichment_status" "media_enrichment_status" DEFAULT 'pending' NOT NULL,
	"enrichment_kind" text,
	"enrichment_provider" text,
	"enrichment_model" text,
	"enrichment" jsonb,
	"enrichment_error" text,
	"enrichment_attempts" integer DEFAULT 0 NOT NULL,
	"enriched_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "message_media" ADD CONSTRAINT "message_media_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_media" ADD CONSTRAINT "message_media_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_media" ADD CONSTRAINT "message_media_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_media" ADD CONSTRAINT "message_media_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "message_media_message_uq" ON "message_media" USING btree ("message_id");--> statement-breakpoint
CREATE INDEX "message_media_scope_idx" ON "message_media" USING btree ("tenant_id","project_id","contact_id");