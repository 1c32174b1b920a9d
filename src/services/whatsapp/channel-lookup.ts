import { eq } from "drizzle-orm";
import { type Database, schema } from "../../db";
import { DEFAULT_SESSION_TIMEOUT_MINUTES } from "../sessions/open";

export interface WebhookChannel {
  id: string;
  tenantId: string;
  projectId: string;
  wahaSession: string;
  webhookSecret: string;
  sessionTimeoutMinutes: number;
}

// Per-isolate cache: every inbound message needs the channel's secret and settings, and saving that read keeps
// ingestion at one database round trip. A rotated secret or changed timeout applies within CACHE_TTL_MS.
const CACHE_TTL_MS = 30_000;
const cache = new Map<string, { value: WebhookChannel | null; expires: number }>();

export async function loadWebhookChannel(db: Database, channelId: string): Promise<WebhookChannel | null> {
  const hit = cache.get(channelId);
  if (hit && hit.expires > Date.now()) return hit.value;
  const [row] = await db.query
    .select({
      id: schema.channels.id,
      tenantId: schema.channels.tenantId,
      projectId: schema.channels.projectId,
      wahaSession: schema.channels.wahaSession,
      webhookSecret: schema.channels.webhookSecret,
      settings: schema.projects.settings,
    })
    .from(schema.channels)
    .innerJoin(schema.projects, eq(schema.projects.id, schema.channels.projectId))
    .where(eq(schema.channels.id, channelId));
  const value = row ? { ...row, sessionTimeoutMinutes: row.settings.sessionTimeoutMinutes ?? DEFAULT_SESSION_TIMEOUT_MINUTES } : null;
  if (cache.size > 1000) cache.clear();
  cache.set(channelId, { value, expires: Date.now() + CACHE_TTL_MS });
  return value;
}

/** Tests and admin changes that must apply immediately in this isolate. */
export const forgetWebhookChannel = (channelId: string) => cache.delete(channelId);
