CREATE TABLE "ai_settings" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"channel_id" uuid,
	"enabled" boolean,
	"agent_type" text,
	"business_hours" jsonb,
	"quiet_window_ms" integer,
	"streaming" boolean,
	"opt_out_tag" text,
	"rate_limit_count" integer,
	"rate_limit_window_minutes" integer,
	"on_failure" text,
	"fallback_text" text,
	"handover_agent_id" uuid,
	"handover_note" text,
	"timeout_seconds" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "ai_released_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "parent_execution_id" uuid;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "contact_id" uuid;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "channel_id" uuid;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "message_ids" jsonb;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "agent_type" text;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "decision" jsonb;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "queued_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "started_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "completed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "agent_ms" integer;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "overhead_ms" integer;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "sub_agents" jsonb;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "mcp_tools" jsonb;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "tokens_used" integer;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "cost_usd" double precision;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "error_message" text;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "reply_message_id" uuid;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "model" text;--> statement-breakpoint
ALTER TABLE "agent_executions" ADD COLUMN "updated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ai_settings" ADD CONSTRAINT "ai_settings_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_settings" ADD CONSTRAINT "ai_settings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ai_settings" ADD CONSTRAINT "ai_settings_channel_id_channels_id_fk" FOREIGN KEY ("channel_id") REFERENCES "public"."channels"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_settings_project_uq" ON "ai_settings" USING btree ("project_id") WHERE "ai_settings"."channel_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "ai_settings_channel_uq" ON "ai_settings" USING btree ("project_id","channel_id") WHERE "ai_settings"."channel_id" is not null;--> statement-breakpoint
CREATE INDEX "ai_settings_scope_idx" ON "ai_settings" USING btree ("tenant_id","project_id");--> statement-breakpoint
CREATE INDEX "agent_executions_kind_idx" ON "agent_executions" USING btree ("tenant_id","project_id","kind","id");--> statement-breakpoint
CREATE INDEX "agent_executions_parent_idx" ON "agent_executions" USING btree ("parent_execution_id") WHERE "agent_executions"."parent_execution_id" is not null;--> statement-breakpoint
CREATE INDEX "agent_executions_contact_idx" ON "agent_executions" USING btree ("contact_id","created_at") WHERE "agent_executions"."kind" = 'execution';