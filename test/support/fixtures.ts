import { inject } from "vitest";
import type { Database } from "../../src/db";
import { createLogger } from "../../src/lib/logger";
import { createApiKey } from "../../src/services/api-keys/create";
import type { Role } from "../../src/services/auth/principal";
import { createChannel } from "../../src/services/channels/create";
import { createServiceContext } from "../../src/services/context";
import { provisionTenant } from "../../src/services/tenants/provision";

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A fresh tenant with one project and an admin, so every test owns its data and can try to cross into another's. */
export async function createTenantFixture(db: Database) {
  const u = unique();
  const password = `pw-${u}-Secret!`;
  const provisioned = await provisionTenant(db, {
    tenant: { name: `Tenant ${u}`, slug: `t-${u}` },
    project: { name: "Main", slug: "main" },
    admin: { email: `admin-${u}@example.test`, name: "Admin", password },
  });
  const ctx = createServiceContext(
    db,
    { tenantId: provisioned.tenant.id, projectId: provisioned.project.id, role: "admin", actor: { type: "user", id: provisioned.user.id } },
    createLogger({ test: true }, "warn"),
  );
  return {
    ...provisioned,
    password,
    ctx,
    apiKey: (role: Role = "admin") => createApiKey(ctx, { name: `key-${role}`, role }),
    channel: (overrides: Partial<Parameters<typeof createChannel>[1]> = {}) =>
      createChannel(ctx, { name: "WhatsApp", wahaSession: `s-${unique()}`, baseUrl: inject("wahaUrl"), ...overrides }),
  };
}

export type TenantFixture = Awaited<ReturnType<typeof createTenantFixture>>;

/** A tenant plus one API key per role, ready to call the API with. */
export async function createActors(db: Database) {
  const t = await createTenantFixture(db);
  const [admin, manager, user, readonly] = await Promise.all(
    (["admin", "manager", "user", "readonly"] as const).map((r) => t.apiKey(r).then((k) => k.key)),
  );
  return { ...t, keys: { admin: admin!, manager: manager!, user: user!, readonly: readonly! } };
}
