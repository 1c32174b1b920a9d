export { createDatabase, type Database, type DatabaseConfig, type Executor, type Transaction } from "./client";
export * as schema from "./schema";
