import { sql } from "drizzle-orm";
import type { Database } from "../../db";
import type { BusinessHours } from "../../db/schema/ai";
import type { Principal } from "../auth/principal";
import { type EffectiveAiSettings, settingsFrom, settingsQuery } from "./settings";

/** Why an inbound message is (or is not) answered by an AI agent: machine-readable, stored on the execution row. */
export const DECISION_REASONS = [
  "handled",
  "ai_disabled",
  "no_agent_service",
  "opted_out",
  "human_takeover",
  "outside_business_hours",
  "rate_limited",
  "group_chat",
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];
export interface Decision {
  handled: boolean;
  reason: DecisionReason;
}

/** Everything a decision depends on, read at one instant (gatherFacts), so the rules stay pure and testable. */
export interface DecisionFacts {
  /** Whether the project ever saved AI settings (without them nothing is recorded: AI was never configured). */
  configured: boolean;
  settings: EffectiveAiSettings;
  /** Whether this Worker has an agent service (AGENT_SERVICE_URL). */
  agentService: boolean;
  /** The contact's tag names. */
  contactTags: string[];
  /** Kind of the agent the session, or the contact, is assigned to. */
  sessionAgentKind: "human" | "ai" | null;
  contactAgentKind: "human" | "ai" | null;
  /** The last outbound message in the session not written by an AI agent, after the session was last released to AI. */
  humanReplyAt: Date | null;
  /** AI executions (not skipped) for this contact within the rate-limit window. */
  recentExecutions: number;
  /** The conversation is a WhatsApp group (the AI answers people, not groups). */
  groupChat?: boolean;
  /** The project's active AI agent record for the agent type (named after it, or config.agentType), if any. */
  aiAgentId?: string | null;
}

/** The rules, in order; the first that refuses names the reason. */
export function decide(facts: DecisionFacts, now: Date): Decision {
  const s = facts.settings;
  if (!s.enabled) return { handled: false, reason: "ai_disabled" };
  if (!facts.agentService) return { handled: false, reason: "no_agent_service" };
  if (facts.groupChat) return { handled: false, reason: "group_chat" };
  if (s.optOutTag && facts.contactTags.some((t) => t.toLowerCase() === s.optOutTag!.toLowerCase())) {
    return { handled: false, reason: "opted_out" };
  }
  if (facts.sessionAgentKind === "human" || facts.contactAgentKind === "human" || facts.humanReplyAt) {
    return { handled: false, reason: "human_takeover" };
  }
  if (s.businessHours && !isOpen(s.businessHours, now)) return { handled: false, reason: "outside_business_hours" };
  if (s.rateLimitCount !== null && facts.recentExecutions >= s.rateLimitCount) return { handled: false, reason: "rate_limited" };
  return { handled: true, reason: "handled" };
}

/** Whether `now` falls in one of the day's ranges, read on the wall clock of the hours' time zone. */
export function isOpen(hours: BusinessHours, now: Date): boolean {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: hours.timeZone,
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(now);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  const day = String(["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(get("weekday"))) as keyof BusinessHours["days"];
  const time = `${get("hour")}:${get("minute")}`;
  return (hours.days[day] ?? []).some(([from, to]) => time >= from && time < to);
}

export interface ConversationRef {
  sessionId: string;
  contactId: string;
  channelId: string | null;
}

/** The widest rate-limit window a setting may ask for (AiSettingsFields.rateLimitWindowMinutes' maximum). */
const MAX_RATE_WINDOW_MS = 7 * 24 * 60 * 60_000;
/** The largest rate-limit count a setting may ask for: reading this many recent executions decides any limit. */
const MAX_RATE_COUNT = 10_000;

/**
 * The reads behind a decision, as queries a caller can put in its own batch (one round trip with whatever else it
 * reads). They do not depend on the settings: the rate-limit window and the agent type are applied in JS
 * (factsFrom), so settings and conversation state are read together.
 */
export function factsQueries(db: Database, principal: Pick<Principal, "tenantId" | "projectId">, ref: ConversationRef, now: Date) {
  const since = new Date(now.getTime() - MAX_RATE_WINDOW_MS).toISOString();
  const project = principal.projectId;
  return [
    settingsQuery({ db, principal: principal as Principal }, ref.channelId),
    db.query.execute(sql`
    select
      (select a.kind from sessions s join agents a on a.id = s.agent_id
        where s.id = ${ref.sessionId} and s.project_id = ${project}) as session_agent_kind,
      (select a.kind from contacts c join agents a on a.id = c.assigned_agent_id
        where c.id = ${ref.contactId} and c.project_id = ${project}) as contact_agent_kind,
      (select max(m.created_at) from messages m join sessions s on s.id = m.session_id
        where m.session_id = ${ref.sessionId} and m.project_id = ${project} and m.direction = 'outbound'
          and coalesce(m.metadata->'sentBy'->>'type', '') <> 'agent'
          and (s.ai_released_at is null or m.created_at > s.ai_released_at)) as human_reply_at,
      (select coalesce(json_agg(t.name), '[]'::json) from contact_tags ct join tags t on t.id = ct.tag_id
        where ct.contact_id = ${ref.contactId} and ct.project_id = ${project}) as tags,
      (select coalesce(json_agg(r.created_at), '[]'::json) from (select e.created_at from agent_executions e
        where e.contact_id = ${ref.contactId} and e.project_id = ${project} and e.kind = 'execution'
          and e.status <> 'skipped' and e.created_at > ${since}::timestamptz
        order by e.created_at desc limit ${MAX_RATE_COUNT}) r) as recent,
      (select coalesce(json_agg(json_build_object('id', a.id, 'name', a.name, 'agentType', a.config->>'agentType') order by a.id),
          '[]'::json) from agents a where a.project_id = ${project} and a.kind = 'ai' and a.active) as ai_agents,
      exists (select 1 from contact_identifiers i where i.contact_id = ${ref.contactId} and i.project_id = ${project}
          and i.kind = 'wa_group') as group_chat
    -- A project that never configured AI (most inbound messages, for many projects) costs one index probe, not these.
    where exists (select 1 from ai_settings s where s.project_id = ${project} and s.tenant_id = ${principal.tenantId})`),
  ] as const;
}

type FactsResults = readonly [Awaited<ReturnType<typeof factsQueries>[0]>, Awaited<ReturnType<typeof factsQueries>[1]>];
const json = <T>(v: unknown, empty: T): T => (typeof v === "string" ? (JSON.parse(v) as T) : ((v as T | null) ?? empty));

/** The facts from what factsQueries read. */
export function factsFrom(results: FactsResults, opts: { agentService: boolean; now: Date }): DecisionFacts {
  const { configured, settings } = settingsFrom(results[0]);
  const row = (results[1].rows[0] ?? {}) as Record<string, unknown>;
  const since = opts.now.getTime() - settings.rateLimitWindowMinutes * 60_000;
  const agents = json<{ id: string; name: string; agentType: string | null }[]>(row.ai_agents, []);
  return {
    configured,
    settings,
    agentService: opts.agentService,
    contactTags: json<string[]>(row.tags, []),
    sessionAgentKind: (row.session_agent_kind as "human" | "ai" | null) ?? null,
    contactAgentKind: (row.contact_agent_kind as "human" | "ai" | null) ?? null,
    humanReplyAt: row.human_reply_at ? new Date(row.human_reply_at as string) : null,
    recentExecutions: json<string[]>(row.recent, []).filter((at) => new Date(at).getTime() > since).length,
    aiAgentId: agents.find((a) => a.name === settings.agentType || a.agentType === settings.agentType)?.id ?? null,
    groupChat: row.group_chat === true || row.group_chat === "t",
  };
}

/** Reads the facts of a decision: the settings in force for the channel and the conversation's state, in one round trip. */
export async function gatherFacts(
  db: Database,
  principal: Pick<Principal, "tenantId" | "projectId">,
  ref: ConversationRef,
  opts: { agentService: boolean; now: Date },
): Promise<DecisionFacts> {
  return factsFrom(await db.batch(factsQueries(db, principal, ref, opts.now)), opts);
}
