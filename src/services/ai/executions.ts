import { and, eq, gte, lt, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { AGENT_EXECUTION_STATUSES as EXECUTION_STATUSES, TOOL_CALL_OUTCOMES } from "../../db/schema/platform";
import { AppError } from "../../lib/errors";
import { CursorValue, keyset, toPage } from "../../lib/pagination";
import type { ServiceContext } from "../context";
import { PageQuery } from "../shared/crud";
import { inScope } from "../shared/scope";

export const ExecutionListQuery = PageQuery.extend({
  kind: z.enum(["execution", "tool_call"]).default("execution").describe("Agent executions (default) or MCP tool calls"),
  status: z
    .enum([...EXECUTION_STATUSES, ...TOOL_CALL_OUTCOMES])
    .optional()
    .describe(`An execution's status (${EXECUTION_STATUSES.join(", ")}) or a tool call's (${TOOL_CALL_OUTCOMES.join(", ")})`),
  agentType: z.string().max(100).optional(),
  reason: z.string().max(60).optional().describe("The decision's reason, e.g. human_takeover"),
  sessionId: z.uuid().optional(),
  contactId: z.uuid().optional(),
  executionId: z.uuid().optional().describe("Tool calls made with this execution's credential"),
  createdAfter: z.coerce.date().min(new Date("1970-01-01")).max(new Date("9999-12-31")).optional(),
  createdBefore: z.coerce.date().min(new Date("1970-01-01")).max(new Date("9999-12-31")).optional(),
});

/** Newest first, keyset on (created_at, id): execution ids are derived from their burst, not time-ordered. */
export async function listExecutions(ctx: ServiceContext, q: z.infer<typeof ExecutionListQuery>) {
  const e = schema.agentExecutions;
  const page = keyset({ sortKey: sql`${e.createdAt}`, id: e.id, direction: "desc", cursor: q.cursor, value: CursorValue.timestamp });
  const rows = await ctx.db.query
    .select()
    .from(e)
    .where(
      and(
        inScope(e, ctx.principal),
        eq(e.kind, q.kind),
        q.status ? eq(e.status, q.status) : undefined,
        q.agentType ? eq(e.agentType, q.agentType) : undefined,
        q.reason ? sql`${e.decision}->>'reason' = ${q.reason}` : undefined,
        q.sessionId ? eq(e.sessionId, q.sessionId) : undefined,
        q.contactId ? eq(e.contactId, q.contactId) : undefined,
        q.executionId ? eq(e.parentExecutionId, q.executionId) : undefined,
        q.createdAfter ? gte(e.createdAt, q.createdAfter) : undefined,
        q.createdBefore ? lt(e.createdAt, q.createdBefore) : undefined,
        page.where,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(q.limit + 1);
  return toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id]);
}

/** One execution with the MCP tool calls its agent made (by its execution credential), oldest first. */
export async function getExecution(ctx: ServiceContext, executionId: string) {
  const e = schema.agentExecutions;
  const [[row], toolCalls] = await ctx.db.batch([
    ctx.db.query
      .select()
      .from(e)
      .where(inScope(e, ctx.principal, eq(e.id, executionId), eq(e.kind, "execution"))),
    ctx.db.query
      .select()
      .from(e)
      .where(inScope(e, ctx.principal, eq(e.parentExecutionId, executionId)))
      .orderBy(e.createdAt, e.id)
      .limit(500),
  ] as const);
  if (!row) throw AppError.notFound("Agent execution", executionId);
  return { ...row, toolCalls };
}

export const MetricsQuery = z.object({
  period: z.enum(["hour", "day", "week", "month"]).default("day"),
  since: z.coerce.date().min(new Date("1970-01-01")).max(new Date("9999-12-31")).optional().describe("Default: 7 days ago"),
  until: z.coerce.date().min(new Date("1970-01-01")).max(new Date("9999-12-31")).optional().describe("Default: now"),
  agentType: z.string().max(100).optional(),
});

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/**
 * Per agent type and period, in one SQL statement: executions by outcome, success rate (succeeded over finished),
 * p50/p95 of the latency (last message received → reply written), of the agent's own time and of our overhead,
 * tokens and cost. Skipped decisions are counted apart, not as executions.
 */
export async function executionMetrics(ctx: ServiceContext, q: z.infer<typeof MetricsQuery>) {
  const until = q.until ?? new Date();
  const since = q.since ?? new Date(until.getTime() - 7 * 24 * 3600_000);
  if (since >= until)
    throw new AppError("invalid_request", "since must be before until", [{ path: "since", message: "must be before until" }]);
  const { tenantId, projectId } = ctx.principal;
  const result = await ctx.db.query.execute(sql`
    select coalesce(agent_type, name) as agent_type, date_trunc(${q.period}, created_at, 'UTC') as period_start,
      count(*) filter (where status <> 'skipped')::int as executions,
      count(*) filter (where status = 'succeeded')::int as succeeded,
      count(*) filter (where status in ('failed', 'timed_out', 'cancelled'))::int as failed,
      count(*) filter (where status = 'timed_out')::int as timed_out,
      count(*) filter (where status = 'skipped')::int as skipped,
      percentile_cont(0.5) within group (order by duration_ms)
        filter (where status <> 'skipped' and duration_ms is not null) as latency_p50,
      percentile_cont(0.95) within group (order by duration_ms)
        filter (where status <> 'skipped' and duration_ms is not null) as latency_p95,
      percentile_cont(0.5) within group (order by agent_ms) filter (where agent_ms is not null) as agent_p50,
      percentile_cont(0.95) within group (order by agent_ms) filter (where agent_ms is not null) as agent_p95,
      percentile_cont(0.5) within group (order by overhead_ms) filter (where overhead_ms is not null) as overhead_p50,
      percentile_cont(0.95) within group (order by overhead_ms) filter (where overhead_ms is not null) as overhead_p95,
      coalesce(sum(tokens_used), 0)::bigint as tokens, coalesce(sum(cost_usd), 0)::float8 as cost_usd
    from agent_executions
    where tenant_id = ${tenantId} and project_id = ${projectId} and kind = 'execution'
      and created_at >= ${since.toISOString()}::timestamptz and created_at < ${until.toISOString()}::timestamptz
      ${q.agentType ? sql`and agent_type = ${q.agentType}` : sql``}
    group by 1, 2
    order by 2, 1`);
  const data = (result.rows as Record<string, unknown>[]).map((r) => {
    const succeeded = Number(r.succeeded);
    const failed = Number(r.failed);
    return {
      agentType: String(r.agent_type),
      periodStart: new Date(r.period_start as string),
      executions: Number(r.executions),
      succeeded,
      failed,
      timedOut: Number(r.timed_out),
      skipped: Number(r.skipped),
      successRate: succeeded + failed > 0 ? succeeded / (succeeded + failed) : null,
      latencyMs: { p50: num(r.latency_p50), p95: num(r.latency_p95) },
      agentMs: { p50: num(r.agent_p50), p95: num(r.agent_p95) },
      overheadMs: { p50: num(r.overhead_p50), p95: num(r.overhead_p95) },
      tokens: Number(r.tokens),
      costUsd: Number(r.cost_usd),
    };
  });
  return { period: q.period, since, until, data };
}
