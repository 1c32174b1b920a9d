CREATE TABLE "dead_letters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid,
	"project_id" uuid,
	"outbox_id" uuid NOT NULL,
	"topic" text NOT NULL,
	"payload" jsonb NOT NULL,
	"queue" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"replayed_at" timestamp with time zone,
	"replay_count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dead_letters" ADD CONSTRAINT "dead_letters_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "dead_letters_outbox_uq" ON "dead_letters" USING btree ("outbox_id");--> statement-breakpoint
CREATE INDEX "dead_letters_scope_idx" ON "dead_letters" USING btree ("tenant_id","project_id","created_at");