import { uuid } from "drizzle-orm/pg-core";
import { projects, tenants } from "./tenancy";

// Every tenant-owned row carries both keys so that each query can be scoped without a join.
export const scope = () => ({
  tenantId: uuid("tenant_id")
    .notNull()
    .references(() => tenants.id, { onDelete: "cascade" }),
  projectId: uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "cascade" }),
});
