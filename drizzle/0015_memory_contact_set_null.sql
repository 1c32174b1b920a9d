ALTER TABLE "memory_embeddings" DROP CONSTRAINT "memory_embeddings_contact_id_contacts_id_fk";
--> statement-breakpoint
ALTER TABLE "memory_embeddings" ADD CONSTRAINT "memory_embeddings_contact_id_contacts_id_fk" FOREIGN KEY ("contact_id") REFERENCES "public"."contacts"("id") ON DELETE set null ON UPDATE no action;