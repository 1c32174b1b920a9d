CREATE TYPE "public"."document_source" AS ENUM('upload', 'whatsapp', 'api');--> statement-breakpoint
CREATE TYPE "public"."document_status" AS ENUM('pending', 'processing', 'ready', 'failed');--> statement-breakpoint
CREATE TYPE "public"."document_type" AS ENUM('contract', 'invoice', 'proposal', 'manual', 'policy', 'receipt', 'report', 'other');--> statement-breakpoint
CREATE TABLE "documents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"contact_id" uuid,
	"title" text NOT NULL,
	"document_type" "document_type" DEFAULT 'other' NOT NULL,
	"mime_type" text NOT NULL,
	"filename" text,
	"bytes" integer NOT NULL,
	"sha256" text NOT NULL,
	"page_count" integer,
	"chunk_count" integer,
	"source" "document_source" DEFAULT 'upload' NOT NULL,
	"status" "document_status" DEFAULT 'pending' NOT NULL,
	"error" text,
	"storage_key" text NOT NULL,
	"embedding_model" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"processed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memory_bm25_terms" (
	"project_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	"term" text NOT NULL,
	"df" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memory_project_state" (
	"project_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"bm25_docs" integer DEFAULT 0 NOT NULL,
	"bm25_total_len" bigint DEFAULT 0 NOT NULL,
	"embedding_model" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "memory_embeddings_tsv_idx";--> statement-breakpoint
DROP INDEX "memory_embeddings_contact_idx";--> statement-breakpoint
ALTER TABLE "memory_embeddings" ALTER COLUMN "embedding" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "document_id" uuid;--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "keyword_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('ventros_pt'::regconfig, content_text) || to_tsvector('ventros_en'::regconfig, content_text)) STORED;--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "bm25_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('ventros_pt'::regconfig, content_text)) STORED;--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "bm25_len" integer GENERATED ALWAYS AS (ventros_token_count(to_tsvector('ventros_pt'::regconfig, content_text))) STORED;--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "documents" ADD CONSTRAINT "documents_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_bm25_terms" ADD CONSTRAINT "memory_bm25_terms_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_bm25_terms" ADD CONSTRAINT "memory_bm25_terms_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_project_state" ADD CONSTRAINT "memory_project_state_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_project_state" ADD CONSTRAINT "memory_project_state_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "documents_project_sha256_uq" ON "documents" USING btree ("project_id","sha256");--> statement-breakpoint
CREATE INDEX "documents_project_idx" ON "documents" USING btree ("tenant_id","project_id","id");--> statement-breakpoint
CREATE INDEX "documents_contact_idx" ON "documents" USING btree ("project_id","contact_id");--> statement-breakpoint
CREATE UNIQUE INDEX "memory_bm25_terms_pk" ON "memory_bm25_terms" USING btree ("project_id","term");--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD CONSTRAINT "memory_embeddings_document_id_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "memory_embeddings_keyword_idx" ON "memory_embeddings" USING gin ("keyword_tsv");--> statement-breakpoint
CREATE INDEX "memory_embeddings_bm25_idx" ON "memory_embeddings" USING gin ("bm25_tsv");--> statement-breakpoint
CREATE INDEX "memory_embeddings_metadata_idx" ON "memory_embeddings" USING gin ("metadata" jsonb_path_ops);--> statement-breakpoint
CREATE INDEX "memory_embeddings_session_idx" ON "memory_embeddings" USING btree ("project_id","session_id");--> statement-breakpoint
CREATE INDEX "memory_embeddings_document_idx" ON "memory_embeddings" USING btree ("document_id");--> statement-breakpoint
CREATE UNIQUE INDEX "memory_embeddings_message_uq" ON "memory_embeddings" USING btree ("message_id") WHERE content_type = 'message';--> statement-breakpoint
CREATE INDEX "memory_embeddings_contact_idx" ON "memory_embeddings" USING btree ("project_id","contact_id","created_at");--> statement-breakpoint
ALTER TABLE "memory_embeddings" DROP COLUMN "content_tsv";