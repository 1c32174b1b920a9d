import { type SQL, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AppError } from "../../lib/errors";
import type { ServiceContext } from "../context";
import { findScoped } from "../shared/crud";
import { dateInput } from "../shared/schemas";

const Period = {
  from: dateInput().optional().describe("Start of the period (ISO 8601); default 30 days ago"),
  to: dateInput().optional().describe("End of the period (ISO 8601); default now"),
};

export const LeadsCountInput = z.object({
  groupBy: z.enum(["pipeline", "stage", "tag", "period"]).default("stage"),
  pipelineId: z.uuid().optional(),
  period: z.enum(["day", "week", "month"]).default("day").describe("Bucket size when groupBy is period"),
  ...Period,
});
export const AgentStatsInput = z.object({ agentId: z.uuid().optional(), ...Period });
export const TopAgentInput = z.object({
  metric: z.enum(["messages_sent", "sessions_handled", "avg_first_response_seconds", "avg_resolution_seconds"]).default("messages_sent"),
  ...Period,
});
export const AnalyzeAgentInput = z.object({ agentId: z.uuid(), ...Period });
export const CompareAgentsInput = z.object({ agentIds: z.array(z.uuid()).min(2).max(10), ...Period });

function range(input: { from?: Date; to?: Date }) {
  const to = input.to ?? new Date();
  const from = input.from ?? new Date(to.getTime() - 30 * 86_400_000);
  if (from > to) throw new AppError("invalid_request", "from must be before to", [{ path: "from", message: "after to" }]);
  return { from: from.toISOString(), to: to.toISOString() };
}

/** Leads = live contacts created in the period, counted by stage, pipeline, tag or time bucket. */
export async function leadsCount(ctx: ServiceContext, input: z.infer<typeof LeadsCountInput>) {
  const { from, to } = range(input);
  const p = ctx.principal;
  if (input.pipelineId) await findScoped(ctx, schema.pipelines, input.pipelineId, "Pipeline");
  const base = sql`c.tenant_id = ${p.tenantId} and c.project_id = ${p.projectId} and c.deleted_at is null
    and c.created_at >= ${from}::timestamptz and c.created_at < ${to}::timestamptz`;
  const pipelineFilter = input.pipelineId ? sql`and cs.pipeline_id = ${input.pipelineId}` : sql``;
  let query: SQL;
  switch (input.groupBy) {
    case "stage":
      query = sql`select s.id as key, s.name as label, p.name as pipeline, count(*)::int as count
        from contacts c join contact_stages cs on cs.contact_id = c.id join stages s on s.id = cs.stage_id
          join pipelines p on p.id = cs.pipeline_id
        where ${base} ${pipelineFilter} group by s.id, s.name, p.name, s.position order by p.name, s.position`;
      break;
    case "pipeline":
      query = sql`select p.id as key, p.name as label, count(*)::int as count
        from contacts c join contact_stages cs on cs.contact_id = c.id join pipelines p on p.id = cs.pipeline_id
        where ${base} ${pipelineFilter} group by p.id, p.name order by count desc`;
      break;
    case "tag":
      query = sql`select t.id as key, t.name as label, count(*)::int as count
        from contacts c join contact_tags ct on ct.contact_id = c.id join tags t on t.id = ct.tag_id
        where ${base} group by t.id, t.name order by count desc`;
      break;
    case "period":
      query = sql`select b.key, b.key as label, count(*)::int as count
        from (select date_trunc(${input.period}, c.created_at)::date::text as key from contacts c where ${base}) b
        group by b.key order by b.key`;
      break;
  }
  const [{ rows }, { rows: total }] = await ctx.db.batch([
    ctx.db.query.execute(query),
    ctx.db.query.execute(sql`select count(*)::int as n from contacts c where ${base}`),
  ] as const);
  return { groupBy: input.groupBy, from, to, total: (total[0] as { n: number }).n, buckets: rows };
}

/** One row per agent with the core service metrics over the period. */
function agentStatsQuery(ctx: ServiceContext, from: string, to: string, agentIds?: string[]) {
  const p = ctx.principal;
  const only = agentIds
    ? sql`and a.id in (${sql.join(
        agentIds.map((id) => sql`${id}::uuid`),
        sql`, `,
      )})`
    : sql``;
  return sql`
    select a.id as agent_id, a.name, a.kind,
      coalesce(m.messages_sent, 0) as messages_sent,
      coalesce(s.sessions_handled, 0) as sessions_handled,
      s.avg_first_response_seconds, s.avg_resolution_seconds, coalesce(s.sessions_resolved, 0) as sessions_resolved,
      x.ai_executions, x.ai_succeeded, x.ai_avg_agent_ms, x.ai_tokens, x.ai_cost_usd
    from agents a
    left join lateral (
      select count(*)::int as messages_sent from messages m
      where m.sent_by_agent_id = a.id and m.direction = 'outbound' and m.created_at >= ${from}::timestamptz
        and m.created_at < ${to}::timestamptz
    ) m on true
    left join lateral (
      select count(*)::int as sessions_handled,
             round(avg(extract(epoch from (se.first_response_at - se.started_at))))::int as avg_first_response_seconds,
             round(avg(extract(epoch from (se.ended_at - se.started_at))) filter (where se.status in ('ended',
               'manually_closed')))::int as avg_resolution_seconds,
             (count(*) filter (where se.status in ('ended', 'manually_closed')))::int as sessions_resolved
      from sessions se where se.agent_id = a.id and se.started_at >= ${from}::timestamptz and se.started_at < ${to}::timestamptz
    ) s on true
    -- AI agents: their executions (agent_executions rows of kind execution, skipped decisions excluded).
    left join lateral (
      select count(*)::int as ai_executions, (count(*) filter (where e.status = 'succeeded'))::int as ai_succeeded,
             round(avg(e.agent_ms))::int as ai_avg_agent_ms, coalesce(sum(e.tokens_used), 0)::int as ai_tokens,
             coalesce(sum(e.cost_usd), 0)::float8 as ai_cost_usd
      from agent_executions e where a.kind = 'ai' and e.agent_id = a.id and e.kind = 'execution' and e.status <> 'skipped'
        and e.created_at >= ${from}::timestamptz and e.created_at < ${to}::timestamptz
    ) x on true
    where a.tenant_id = ${p.tenantId} and a.project_id = ${p.projectId} ${only}`;
}

export async function agentStats(ctx: ServiceContext, input: z.infer<typeof AgentStatsInput>) {
  const { from, to } = range(input);
  if (input.agentId) await findScoped(ctx, schema.agents, input.agentId, "Agent");
  const { rows } = await ctx.db.query.execute(agentStatsQuery(ctx, from, to, input.agentId ? [input.agentId] : undefined));
  return { from, to, agents: rows };
}

export async function topAgent(ctx: ServiceContext, input: z.infer<typeof TopAgentInput>) {
  const { from, to } = range(input);
  const { rows } = await ctx.db.query.execute<Record<string, any>>(agentStatsQuery(ctx, from, to));
  // Response and resolution times: lower is better, and agents with no data do not compete.
  const lowerIsBetter = input.metric.startsWith("avg_");
  const ranked = rows
    .filter((r) => r[input.metric] !== null && (lowerIsBetter || Number(r[input.metric]) > 0))
    .sort((a, b) => (lowerIsBetter ? a[input.metric] - b[input.metric] : b[input.metric] - a[input.metric]));
  return { metric: input.metric, from, to, top: ranked[0] ?? null, ranking: ranked.slice(0, 10) };
}

export async function compareAgents(ctx: ServiceContext, input: z.infer<typeof CompareAgentsInput>) {
  const { from, to } = range(input);
  const { rows } = await ctx.db.query.execute<Record<string, any>>(agentStatsQuery(ctx, from, to, input.agentIds));
  const missing = input.agentIds.filter((id) => !rows.some((r) => r.agent_id === id));
  if (missing.length) throw new AppError("not_found", `Agents not found: ${missing.join(", ")}`, { resource: "Agent", ids: missing });
  return { from, to, agents: input.agentIds.map((id) => rows.find((r) => r.agent_id === id)) };
}

/** Volume, reply times, content mix and working hours of one agent's messages. */
export async function analyzeAgentMessages(ctx: ServiceContext, input: z.infer<typeof AnalyzeAgentInput>) {
  const { from, to } = range(input);
  const agent = await findScoped(ctx, schema.agents, input.agentId, "Agent");
  const p = ctx.principal;
  const { rows } = await ctx.db.query.execute<Record<string, any>>(sql`
    with mine as (
      select m.* from messages m
      where m.tenant_id = ${p.tenantId} and m.project_id = ${p.projectId} and m.sent_by_agent_id = ${agent.id}
        and m.created_at >= ${from}::timestamptz and m.created_at < ${to}::timestamptz
    ), replies as (
      -- For each agent message, the wait since the customer's latest message before it in the same session.
      select extract(epoch from (mi.created_at - (
        select max(coalesce(i.sent_at, i.created_at)) from messages i
        where i.session_id = mi.session_id and i.direction = 'inbound' and coalesce(i.sent_at, i.created_at) <= mi.created_at
      ))) as wait from mine mi
    )
    select
      (select count(*)::int from mine) as total,
      (select round(avg(length(body)))::int from mine where body is not null) as avg_length,
      (select count(distinct session_id)::int from mine) as sessions,
      (select round(avg(wait))::int from replies where wait is not null) as avg_reply_seconds,
      (select round((percentile_cont(0.5) within group (order by wait))::numeric)::int from replies
        where wait is not null) as median_reply_seconds,
      (select coalesce(jsonb_object_agg(content_type, n), '{}'::jsonb) from (select content_type::text, count(*)::int as n
        from mine group by 1) x) as by_content_type,
      (select coalesce(jsonb_object_agg(status, n), '{}'::jsonb) from (select status::text, count(*)::int as n
        from mine group by 1) x) as by_status,
      (select coalesce(jsonb_object_agg(h, n), '{}'::jsonb) from (select extract(hour from created_at)::int as h,
        count(*)::int as n from mine group by 1) x) as by_hour_utc,
      (select coalesce(jsonb_agg(jsonb_build_object('day', d, 'count', n) order by d), '[]'::jsonb)
        from (select created_at::date::text as d, count(*)::int as n from mine group by 1) x) as by_day`);
  return { agent: { id: agent.id, name: agent.name, kind: agent.kind }, from, to, ...rows[0] };
}
