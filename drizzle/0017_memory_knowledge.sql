-- memory_facts and memory_graph were empty shells until now (nothing wrote them): reshaped to the design's columns.
DELETE FROM "memory_facts";--> statement-breakpoint
DELETE FROM "memory_graph";--> statement-breakpoint
CREATE TABLE "memory_entities" (
	"id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"entity_type" text NOT NULL,
	"name" text NOT NULL,
	"normalized_key" text NOT NULL,
	"aliases" text[] DEFAULT '{}'::text[] NOT NULL,
	"alias_keys" text[] DEFAULT '{}'::text[] NOT NULL,
	"mention_count" integer DEFAULT 0 NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "memory_graph_source_idx";--> statement-breakpoint
DROP INDEX "memory_graph_target_idx";--> statement-breakpoint
DROP INDEX "memory_facts_contact_idx";--> statement-breakpoint
ALTER TABLE "memory_facts" ALTER COLUMN "contact_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ALTER COLUMN "valid_from" SET DEFAULT now();--> statement-breakpoint
ALTER TABLE "memory_facts" ALTER COLUMN "valid_from" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "fact_text" text NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "fact_key" text NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "fact_value" text;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "source_count" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "source_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "origin" text DEFAULT 'extracted' NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "extractor" text;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "last_observed_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "invalidated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "invalidated_reason" text;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "superseded_by_id" uuid;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "contradicting_source_id" uuid;--> statement-breakpoint
ALTER TABLE "memory_facts" ADD COLUMN "fact_tsv" "tsvector" GENERATED ALWAYS AS (to_tsvector('ventros_pt'::regconfig, fact_text || ' ' || replace(fact_key, '.', ' ') || ' ' || coalesce(fact_value, ''))
        || to_tsvector('ventros_en'::regconfig, fact_text || ' ' || replace(fact_key, '.', ' ') || ' ' || coalesce(fact_value, ''))) STORED;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "node_from_type" text NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "node_from_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "node_to_type" text NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "node_to_id" uuid NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "relationship_type" text NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "relationship_strength" real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "evidence_count" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "last_seen_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_graph" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_entities" ADD CONSTRAINT "memory_entities_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "memory_entities" ADD CONSTRAINT "memory_entities_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "memory_entities_key_uq" ON "memory_entities" USING btree ("project_id","entity_type","normalized_key");--> statement-breakpoint
CREATE INDEX "memory_entities_lookup_idx" ON "memory_entities" USING btree ("project_id","normalized_key");--> statement-breakpoint
CREATE INDEX "memory_entities_alias_idx" ON "memory_entities" USING gin ("alias_keys");--> statement-breakpoint
CREATE INDEX "memory_entities_search_idx" ON "memory_entities" USING gin ("normalized_key" gin_trgm_ops);--> statement-breakpoint
CREATE UNIQUE INDEX "memory_facts_current_uq" ON "memory_facts" USING btree ("tenant_id","contact_id","fact_key") WHERE invalidated_at is null;--> statement-breakpoint
CREATE INDEX "memory_facts_key_idx" ON "memory_facts" USING btree ("project_id","fact_key");--> statement-breakpoint
CREATE INDEX "memory_facts_search_idx" ON "memory_facts" USING gin ("fact_tsv");--> statement-breakpoint
CREATE UNIQUE INDEX "memory_graph_edge_uq" ON "memory_graph" USING btree ("tenant_id","node_from_type","node_from_id","node_to_type","node_to_id","relationship_type");--> statement-breakpoint
CREATE INDEX "memory_graph_from_idx" ON "memory_graph" USING btree ("project_id","node_from_type","node_from_id");--> statement-breakpoint
CREATE INDEX "memory_graph_to_idx" ON "memory_graph" USING btree ("project_id","node_to_type","node_to_id");--> statement-breakpoint
CREATE INDEX "memory_graph_relationship_idx" ON "memory_graph" USING btree ("project_id","relationship_type");--> statement-breakpoint
CREATE INDEX "memory_facts_contact_idx" ON "memory_facts" USING btree ("project_id","contact_id","fact_type");--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "subject";--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "predicate";--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "object";--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "source_message_id";--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "source_embedding_id";--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "valid_until";--> statement-breakpoint
ALTER TABLE "memory_facts" DROP COLUMN "metadata";--> statement-breakpoint
ALTER TABLE "memory_graph" DROP COLUMN "source_type";--> statement-breakpoint
ALTER TABLE "memory_graph" DROP COLUMN "source_id";--> statement-breakpoint
ALTER TABLE "memory_graph" DROP COLUMN "relation";--> statement-breakpoint
ALTER TABLE "memory_graph" DROP COLUMN "target_type";--> statement-breakpoint
ALTER TABLE "memory_graph" DROP COLUMN "target_id";--> statement-breakpoint
ALTER TABLE "memory_graph" DROP COLUMN "weight";;--> statement-breakpoint
-- Graph nodes are rows of any table, so they cannot be foreign keys: deleting a node's row deletes its edges here,
-- once per statement (a document's thousand chunks are one DELETE of edges, not a thousand).
CREATE FUNCTION memory_graph_forget_nodes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM memory_graph g USING gone o
   WHERE g.project_id = o.project_id AND g.node_from_type = TG_ARGV[0] AND g.node_from_id = o.id;
  DELETE FROM memory_graph g USING gone o
   WHERE g.project_id = o.project_id AND g.node_to_type = TG_ARGV[0] AND g.node_to_id = o.id;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE FUNCTION memory_graph_forget_entities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM memory_graph g USING gone o
   WHERE g.project_id = o.project_id AND g.node_from_type = o.entity_type AND g.node_from_id = o.id;
  DELETE FROM memory_graph g USING gone o
   WHERE g.project_id = o.project_id AND g.node_to_type = o.entity_type AND g.node_to_id = o.id;
  RETURN NULL;
END $$;--> statement-breakpoint
CREATE TRIGGER memory_graph_forget_chunks AFTER DELETE ON memory_embeddings REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION memory_graph_forget_nodes('chunk');--> statement-breakpoint
CREATE TRIGGER memory_graph_forget_documents AFTER DELETE ON documents REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION memory_graph_forget_nodes('document');--> statement-breakpoint
CREATE TRIGGER memory_graph_forget_contacts AFTER DELETE ON contacts REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION memory_graph_forget_nodes('contact');--> statement-breakpoint
CREATE TRIGGER memory_graph_forget_entity_rows AFTER DELETE ON memory_entities REFERENCING OLD TABLE AS gone
  FOR EACH STATEMENT EXECUTE FUNCTION memory_graph_forget_entities();