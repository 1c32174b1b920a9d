/**
 * `npm run db:migrate` — applies drizzle/ migrations to DATABASE_URL (Neon or any PostgreSQL with pgvector).
 * Use Neon's direct (non-pooled) connection string: migrations take advisory locks.
 */
import { applyMigrations } from "./local-db/migrate";

const url = process.env.DATABASE_URL;
if (!url) {
  console.error("DATABASE_URL is not set. Example: DATABASE_URL=postgres://user:pass@host/db?sslmode=require npm run db:migrate");
  process.exit(1);
}
await applyMigrations(url);
console.log("migrations applied");
