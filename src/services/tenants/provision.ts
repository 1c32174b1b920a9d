import type { Database } from "../../db";
import { schema } from "../../db";
import { hashPassword } from "../../lib/crypto";
import { uuidv7 } from "../../lib/ids";
import type { Role } from "../auth/principal";

export interface ProvisionTenantInput {
  tenant: { name: string; slug: string };
  project: { name: string; slug: string };
  admin: { email: string; name: string; password: string };
}

/**
 * Creates a tenant, its first project and an admin member in one transaction (one HTTP round trip):
 * ids are generated here so no statement has to wait for another's result.
 */
export async function provisionTenant(db: Database, input: ProvisionTenantInput) {
  const tenantId = uuidv7();
  const projectId = uuidv7();
  const userId = uuidv7();
  const role: Role = "admin";
  const passwordHash = await hashPassword(input.admin.password);
  const [[tenant], [project], [user]] = await db.batch([
    db.query
      .insert(schema.tenants)
      .values({ id: tenantId, ...input.tenant })
      .returning(),
    db.query
      .insert(schema.projects)
      .values({ id: projectId, tenantId, ...input.project })
      .returning(),
    db.query
      .insert(schema.users)
      .values({ id: userId, email: input.admin.email.toLowerCase(), name: input.admin.name, passwordHash })
      .returning({ id: schema.users.id, email: schema.users.email, name: schema.users.name }),
    db.query.insert(schema.memberships).values({ tenantId, projectId, userId, role }),
  ] as const);
  return { tenant: tenant!, project: project!, user: user!, role };
}
