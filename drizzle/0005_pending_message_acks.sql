CREATE TABLE "pending_message_acks" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"channel_id" uuid NOT NULL,
	"channel_message_id" text NOT NULL,
	"ack" integer NOT NULL,
	"participant" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "pending_message_acks" ADD CONSTRAINT "pending_message_acks_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_message_acks" ADD CONSTRAINT "pending_message_acks_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "pending_message_acks" ADD CONSTRAINT "pending_message_acks_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "pending_message_acks_lookup_idx" ON "pending_message_acks" USING btree ("channel_id","channel_message_id");--> statement-breakpoint
CREATE INDEX "pending_message_acks_scope_idx" ON "pending_message_acks" USING btree ("tenant_id","project_id");