import { eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import type { BusinessHours } from "../../db/schema/ai";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { inScope, scopeValues } from "../shared/scope";

export const FAILURE_POLICIES = ["nothing", "fallback_text", "handover"] as const;
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/** What a project without settings gets: AI off, and sensible values for when it is turned on. */
export const AI_DEFAULTS = {
  enabled: false,
  agentType: "CustomerService",
  businessHours: null as BusinessHours | null,
  quietWindowMs: 3000,
  streaming: false,
  optOutTag: null as string | null,
  rateLimitCount: null as number | null,
  rateLimitWindowMinutes: 60,
  onFailure: "nothing" as FailurePolicy,
  fallbackText: null as string | null,
  handoverAgentId: null as string | null,
  handoverNote: null as string | null,
  timeoutSeconds: 30,
};
export type EffectiveAiSettings = typeof AI_DEFAULTS;
type SettingKey = keyof EffectiveAiSettings;
const KEYS = Object.keys(AI_DEFAULTS) as SettingKey[];

const hhmm = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, "HH:MM, 00:00 to 24:00");
const validTimeZone = (tz: string) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};
export const BusinessHoursSchema = z
  .object({
    timeZone: z.string().min(1).max(64).refine(validTimeZone, "an IANA time zone, e.g. America/Sao_Paulo"),
    days: z.partialRecord(
      z.enum(["0", "1", "2", "3", "4", "5", "6"]),
      z.array(z.tuple([hhmm, hhmm]).refine(([a, b]) => a < b, "a range must end after it starts")).max(6),
    ),
  })
  .describe("Opening hours in the project's time zone; days 0 (Sunday) to 6 (Saturday); a day not listed is closed")
  .meta({ id: "BusinessHours" });

/** Every setting, as stated on the wire; in a channel override `null` means "inherit the project's". */
export const AiSettingsFields = z.object({
  enabled: z.boolean().describe("Whether AI agents answer customers"),
  agentType: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, "letters, digits, _ . - (e.g. CustomerService)")
    .describe("The agent the service runs (AgentExecutionRequest.agent_type)"),
  businessHours: BusinessHoursSchema.nullable().describe("null: always open"),
  quietWindowMs: z.number().int().min(0).max(60_000).describe("How long to wait after a customer's last message before answering"),
  streaming: z.boolean().describe("Stream the agent's events (typing, partial text) to the session's WebSocket"),
  optOutTag: z.string().trim().min(1).max(100).nullable().describe("Contacts with this tag name are never answered by AI"),
  rateLimitCount: z.number().int().min(1).max(10_000).nullable().describe("At most this many AI executions per contact per window"),
  rateLimitWindowMinutes: z
    .number()
    .int()
    .min(1)
    .max(7 * 24 * 60),
  onFailure: z.enum(FAILURE_POLICIES).describe("On agent failure or timeout: nothing, send fallbackText, or hand over to a human"),
  fallbackText: z.string().trim().min(1).max(4096).nullable(),
  handoverAgentId: z.uuid().nullable().describe("The human agent a handover assigns the contact to"),
  handoverNote: z.string().trim().min(1).max(2000).nullable(),
  timeoutSeconds: z.number().int().min(1).max(300).describe("The agent's time budget per execution"),
});
export const AiSettingsUpdate = AiSettingsFields.partial();
type Shape = typeof AiSettingsFields.shape;
/** The stored values: null where nothing is set (the default, or in an override the project's value). */
export const AiSettingsStored = z
  .object(
    Object.fromEntries(Object.entries(AiSettingsFields.shape).map(([k, v]) => [k, (v as z.ZodType).nullable()])) as {
      [K in keyof Shape]: z.ZodNullable<Shape[K]>;
    },
  )
  .meta({ id: "AiSettingsStored" });
export const AiChannelOverride = z.object(
  Object.fromEntries(Object.entries(AiSettingsFields.shape).map(([k, v]) => [k, (v as z.ZodType).nullable().optional()])) as {
    [K in keyof typeof AiSettingsFields.shape]: z.ZodOptional<z.ZodNullable<(typeof AiSettingsFields.shape)[K]>>;
  },
);

type Row = typeof schema.aiSettings.$inferSelect;

/** The project's values over the defaults, then the channel's non-null values over those. */
export function effectiveSettings(project: Partial<Row> | undefined, channel?: Partial<Row>): EffectiveAiSettings {
  const out = { ...AI_DEFAULTS } as Record<SettingKey, unknown>;
  for (const layer of [project, channel]) {
    if (!layer) continue;
    for (const k of KEYS) {
      const v = layer[k];
      if (v !== null && v !== undefined) out[k] = v;
    }
  }
  return out as EffectiveAiSettings;
}

const pick = (row: Partial<Row> | undefined) =>
  Object.fromEntries(KEYS.map((k) => [k, row?.[k] ?? null])) as { [K in SettingKey]: EffectiveAiSettings[K] | null };

async function rows(ctx: ServiceContext) {
  return ctx.db.query.select().from(schema.aiSettings).where(inScope(schema.aiSettings, ctx.principal));
}

/** The project's stored values, its effective values, and each channel's overrides and effective values. */
export async function getAiSettings(ctx: ServiceContext) {
  const all = await rows(ctx);
  const project = all.find((r) => r.channelId === null);
  return {
    configured: project !== undefined,
    project: pick(project),
    effective: effectiveSettings(project),
    channels: all
      .filter((r) => r.channelId !== null)
      .map((r) => ({ channelId: r.channelId!, overrides: pick(r), effective: effectiveSettings(project, r) })),
  };
}

/** The rows that make the settings in force for one channel (settingsFrom reads them). */
export function settingsQuery(ctx: Pick<ServiceContext, "db" | "principal">, channelId: string | null) {
  return ctx.db.query
    .select()
    .from(schema.aiSettings)
    .where(
      inScope(
        schema.aiSettings,
        ctx.principal,
        channelId
          ? sql`(${schema.aiSettings.channelId} is null or ${schema.aiSettings.channelId} = ${channelId})`
          : isNull(schema.aiSettings.channelId),
      ),
    );
}

/** Settings in force for one channel; `configured` false when the project never set any. */
export function settingsFrom(all: Row[]) {
  const project = all.find((r) => r.channelId === null);
  const channel = all.find((r) => r.channelId !== null);
  return { configured: project !== undefined || channel !== undefined, settings: effectiveSettings(project, channel) };
}

async function checkConsistent(ctx: ServiceContext, effective: EffectiveAiSettings, path = "") {
  if (effective.onFailure === "fallback_text" && !effective.fallbackText) {
    throw new AppError("unprocessable", "onFailure fallback_text needs a fallbackText", [
      { path: `${path}fallbackText`, message: "required" },
    ]);
  }
  if (effective.handoverAgentId) {
    const agent = await ctx.db.query
      .select({ kind: schema.agents.kind })
      .from(schema.agents)
      .where(inScope(schema.agents, ctx.principal, eq(schema.agents.id, effective.handoverAgentId)));
    if (agent[0]?.kind !== "human") {
      throw new AppError("unprocessable", "handoverAgentId must be a human agent of this project", [
        { path: `${path}handoverAgentId`, message: "not a human agent of this project" },
      ]);
    }
  }
}

export async function updateProjectAiSettings(ctx: ServiceContext, input: z.infer<typeof AiSettingsUpdate>) {
  const all = await rows(ctx);
  const project = all.find((r) => r.channelId === null);
  await checkConsistent(ctx, effectiveSettings({ ...project, ...input }));
  const t = schema.aiSettings;
  await ctx.db.batch([
    ctx.db.query
      .insert(t)
      .values({ ...scopeValues(ctx.principal), channelId: null, ...input })
      .onConflictDoUpdate({ target: [t.projectId], targetWhere: sql`channel_id is null`, set: { ...input, updatedAt: sql`now()` } }),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("ai_settings.updated", { channelId: null, fields: Object.keys(input) })),
  ] as const);
  return getAiSettings(ctx);
}

export async function updateChannelAiSettings(ctx: ServiceContext, channelId: string, input: z.infer<typeof AiChannelOverride>) {
  await findScoped(ctx, schema.channels, channelId, "Channel");
  const all = await rows(ctx);
  const project = all.find((r) => r.channelId === null);
  const channel = all.find((r) => r.channelId === channelId);
  await checkConsistent(ctx, effectiveSettings(project, { ...channel, ...input }));
  const t = schema.aiSettings;
  await ctx.db.batch([
    ctx.db.query
      .insert(t)
      .values({ ...scopeValues(ctx.principal), channelId, ...input })
      .onConflictDoUpdate({
        target: [t.projectId, t.channelId],
        targetWhere: sql`channel_id is not null`,
        set: { ...input, updatedAt: sql`now()` },
      }),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("ai_settings.updated", { channelId, fields: Object.keys(input) })),
  ] as const);
  return getAiSettings(ctx);
}

/**
 * Hands a conversation back to the AI: human replies before now no longer silence it, and a human agent holding the
 * session lets go (a contact assigned to a human stays so: unassign the contact too).
 */
export async function releaseSessionToAi(ctx: ServiceContext, sessionId: string) {
  const s = schema.sessions;
  const session = await findScoped(ctx, s, sessionId, "Session");
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .update(s)
      .set({
        aiReleasedAt: sql`now()`,
        agentId: sql`case when exists (select 1 from agents a where a.id = ${s.agentId} and a.kind = 'human')
          then null else ${s.agentId} end`,
        updatedAt: sql`now()`,
      })
      .where(inScope(s, ctx.principal, eq(s.id, session.id)))
      .returning({ id: s.id, agentId: s.agentId, aiReleasedAt: s.aiReleasedAt }),
    ctx.db.query
      .insert(schema.outbox)
      .values(ctx.outbox.event("session.assigned", { sessionId, contactId: session.contactId, agentId: null, releasedToAi: true })),
  ] as const);
  return { sessionId: row!.id, agentId: row!.agentId, aiReleasedAt: row!.aiReleasedAt! };
}
