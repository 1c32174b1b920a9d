import { eq } from "drizzle-orm";
import { type Database, schema } from "../src/db";
import { randomToken } from "../src/lib/crypto";
import { createLogger } from "../src/lib/logger";
import { createApiKey } from "../src/services/api-keys/create";
import { createChannel } from "../src/services/channels/create";
import { createServiceContext } from "../src/services/context";
import { provisionTenant } from "../src/services/tenants/provision";

export interface DevCredentials {
  baseUrl: string;
  tenant: { id: string; slug: string };
  project: { id: string };
  admin: { email: string; password: string };
  apiKey: string;
  channel: { id: string; wahaSession: string; webhookUrl: string; webhookSecret: string };
  jwtSecret: string;
}

/** Seeds the demo tenant once; later runs find it and reuse the stored credentials. */
export async function seedDemo(
  db: Database,
  opts: { baseUrl: string; wahaUrl: string; existing?: DevCredentials },
): Promise<{ credentials: DevCredentials; created: boolean }> {
  if (opts.existing) {
    const [tenant] = await db.query
      .select({ id: schema.tenants.id })
      .from(schema.tenants)
      .where(eq(schema.tenants.id, opts.existing.tenant.id));
    if (tenant) {
      // The sandbox's port follows PORT, which may differ from the run that seeded the channel.
      await db.query.update(schema.channels).set({ baseUrl: opts.wahaUrl }).where(eq(schema.channels.id, opts.existing.channel.id));
      return { created: false, credentials: withBaseUrl(opts.existing, opts.baseUrl) };
    }
  }
  const password = randomToken(12);
  const { tenant, project, user } = await provisionTenant(db, {
    tenant: { name: "Demo Company", slug: `demo-${randomToken(4).toLowerCase()}` },
    project: { name: "Main", slug: "main" },
    admin: { email: `admin+${randomToken(4).toLowerCase()}@ventros.local`, name: "Demo Admin", password },
  });
  const ctx = createServiceContext(
    db,
    { tenantId: tenant.id, projectId: project.id, role: "admin", actor: { type: "user", id: user.id } },
    createLogger({ script: "seed" }),
  );
  const apiKey = await createApiKey(ctx, { name: "Local development", role: "admin" });
  const channel = await createChannel(ctx, {
    name: "WhatsApp (local sandbox)",
    wahaSession: "default",
    baseUrl: opts.wahaUrl,
    apiKey: randomToken(16),
  });
  const credentials: DevCredentials = {
    baseUrl: opts.baseUrl,
    tenant: { id: tenant.id, slug: tenant.slug },
    project: { id: project.id },
    admin: { email: user.email, password },
    apiKey: apiKey.key,
    channel: {
      id: channel.id,
      wahaSession: channel.wahaSession,
      webhookUrl: "",
      webhookSecret: channel.webhookSecret!,
    },
    jwtSecret: opts.existing?.jwtSecret ?? randomToken(48),
  };
  return { created: true, credentials: withBaseUrl(credentials, opts.baseUrl) };
}

function withBaseUrl(c: DevCredentials, baseUrl: string): DevCredentials {
  return { ...c, baseUrl, channel: { ...c.channel, webhookUrl: `${baseUrl}/webhooks/waha/${c.channel.id}` } };
}
