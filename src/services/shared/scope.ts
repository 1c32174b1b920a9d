import { and, eq, type SQL } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import type { Principal } from "../auth/principal";

export interface ScopedTable {
  tenantId: PgColumn;
  projectId: PgColumn;
}

/** The tenant/project predicate every query on a tenant-owned table carries. */
export function inScope(table: ScopedTable, p: Principal, ...more: (SQL | undefined)[]): SQL {
  return and(eq(table.tenantId, p.tenantId), eq(table.projectId, p.projectId), ...more)!;
}

/** Values to spread into an insert of a tenant-owned row. */
export const scopeValues = (p: Principal) => ({ tenantId: p.tenantId, projectId: p.projectId });

/** The actor columns of timeline rows and histories. */
export const actorValues = (p: Principal) => ({ actorType: p.actor.type, actorId: p.actor.id });
