ALTER TABLE "message_media" ADD COLUMN "lease_id" uuid;--> statement-breakpoint
ALTER TABLE "message_media" ADD COLUMN "lease_until" timestamp with time zone;