import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { describe, expect, inject, it } from "vitest";
import { createAgentServiceClient } from "../../src/integrations/agent-service";
import { createLogger } from "../../src/lib/logger";
import type { OutboxMessage } from "../../src/outbox/events";
import { routeInboundToAgent } from "../../src/services/ai/inbound";
import { executionIdFor, runTurn, type Turn, type TurnDeps } from "../../src/services/ai/orchestrate";
import { api } from "../support/api";
import { testDatabase } from "../support/db";
import { createActors } from "../support/fixtures";
import { configureSandbox, wahaUrl } from "../support/sandbox";
import { inboundText, postWaha } from "../support/waha";

const db = testDatabase();
const log = createLogger({ test: "ai" }, "error");
const serviceUrl = () => inject("agentServiceUrl");

async function setFault(executionId: string, fault: Record<string, unknown>) {
  const res = await fetch(`${serviceUrl()}/__agent-service/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ executionId, fault }),
  });
  if (!res.ok) throw new Error(`faults: ${res.status}`);
  await res.body?.cancel();
}
const received = async (executionId: string): Promise<{ method: string; protocol: string }[]> =>
  (await fetch(`${serviceUrl()}/__agent-service/calls?executionId=${executionId}`)).json();
const presence = async (session: string): Promise<{ action: string; chatId: string }[]> =>
  (await fetch(`${wahaUrl()}/__sandbox/presence?session=${encodeURIComponent(session)}`)).json();
const sent = async (session: string): Promise<{ endpoint: string; body: any }[]> =>
  (await fetch(`${wahaUrl()}/__sandbox/sent?session=${encodeURIComponent(session)}`)).json();

/** A turn run directly (not by the room): the reference service, no publishing. */
const turnDeps = (protocol: "grpc-web" | "connect" = "grpc-web", relay: TurnDeps["relay"] = async () => {}): TurnDeps => ({
  db,
  log,
  agentService: createAgentServiceClient({ url: serviceUrl(), protocol, token: inject("agentServiceToken") }),
  signingSecret: "x".repeat(40),
  relay,
  publish: async () => {},
});

const rows = async (q: ReturnType<typeof sql>) => (await db.query.execute<any>(q)).rows;
const executions = (projectId: string) =>
  rows(sql`select * from agent_executions where project_id = ${projectId} and kind = 'execution' order by created_at, id`);

async function until<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, ms = 25_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
const terminal = (r: any) => ["succeeded", "failed", "timed_out", "cancelled", "skipped"].includes(r.status);

async function conversation(settings: Record<string, unknown>) {
  const t = await createActors(db);
  const channel = await t.channel();
  await configureSandbox({ name: channel.wahaSession });
  const res = await api("/api/v1/ai-settings", { method: "PATCH", token: t.keys.admin, body: { enabled: true, ...settings } });
  if (res.status !== 200) throw new Error(`settings: ${JSON.stringify(res.body)}`);
  const from = `55119${Math.floor(Math.random() * 1e8)
    .toString()
    .padStart(8, "0")}@c.us`;
  return { t, channel, from };
}

async function inbound(c: Awaited<ReturnType<typeof conversation>>, body: string) {
  const res = await postWaha(c.channel, "message", inboundText(c.from, body));
  expect(res.status).toBe(200);
  const [m] = await rows(sql`select id, session_id, contact_id from messages where project_id = ${c.t.project.id} and body = ${body}
    order by id desc limit 1`);
  return m as { id: string; session_id: string; contact_id: string };
}

/** A message's `message.created` event as the queue delivers it (again). */
async function createdEventOf(c: Awaited<ReturnType<typeof conversation>>, messageId: string): Promise<OutboxMessage> {
  const [event] = await rows(sql`select * from outbox where topic = 'message.created' and payload->>'messageId' = ${messageId}`);
  return { ...event, tenantId: c.t.tenant.id, projectId: c.t.project.id, createdAt: new Date().toISOString() };
}

/** The turn answering one inbound message of a conversation, as a test runs it directly. */
const turnOf = (
  c: Awaited<ReturnType<typeof conversation>>,
  m: Awaited<ReturnType<typeof inbound>>,
  executionId: string = crypto.randomUUID(),
  quietWindowMs = 0,
): Turn => ({
  executionId,
  tenantId: c.t.tenant.id,
  projectId: c.t.project.id,
  sessionId: m.session_id,
  contactId: m.contact_id,
  channelId: c.channel.id,
  messages: [{ messageId: m.id, receivedAt: Date.now() }],
  quietWindowMs,
});

describe("AI orchestration: one answer per burst, through the session's Durable Object", () => {
  it("a burst of three messages is answered once, as a group, through WAHA, with typing shown", async () => {
    const c = await conversation({ quietWindowMs: 1500 });
    const first = await inbound(c, "oi");
    await inbound(c, "tudo bem?");
    await inbound(c, "quanto custa o plano?");
    const [done] = await until(
      "the execution",
      () => executions(c.t.project.id),
      (r) => r.length > 0 && r.every(terminal),
    );
    const all = await executions(c.t.project.id);
    expect(all).toHaveLength(1);
    expect(done.id).toBe(await executionIdFor(first.session_id, first.id));
    expect(done).toMatchObject({ status: "succeeded", agent_type: "CustomerService", decision: { handled: true, reason: "handled" } });
    expect(done.message_ids).toHaveLength(3);
    expect(done.reply_message_id).toBe(done.id);
    expect(done.agent_ms).toBeGreaterThanOrEqual(0);
    expect(done.overhead_ms).toBeGreaterThanOrEqual(0);
    expect(new Date(done.queued_at) <= new Date(done.started_at)).toBe(true);
    const replies = await rows(sql`select * from messages where project_id = ${c.t.project.id} and direction = 'outbound'`);
    expect(replies).toHaveLength(1);
    expect(replies[0].id).toBe(done.id);
    expect(replies[0].metadata.sentBy).toEqual({ type: "agent", id: done.id });
    const wahaSent = await until(
      "the WAHA send",
      () => sent(c.channel.wahaSession),
      (s) => s.length > 0,
    );
    expect(wahaSent).toHaveLength(1);
    expect(wahaSent[0]!.body.text).toBe(replies[0].body);
    expect((await presence(c.channel.wahaSession)).map((p) => p.action)).toEqual(["startTyping", "stopTyping"]);
    const calls = await received(done.id);
    expect(calls.filter((x) => x.method === "ExecuteAgent")).toHaveLength(1);
    expect(calls[0]!.protocol).toBe("grpc-web");
    const events = await rows(sql`select * from outbox where project_id = ${c.t.project.id} and topic = 'agent.response_generated'`);
    expect(events).toHaveLength(1);
    expect(events[0].payload).toMatchObject({ executionId: done.id, messageId: done.id, status: "succeeded" });
  });

  it("a redelivered message.created, a retried turn and a crash after the agent answered still give one reply", async () => {
    const c = await conversation({ quietWindowMs: 800 });
    const m = await inbound(c, "qual o horário de vocês?");
    const [done] = await until(
      "the execution",
      () => executions(c.t.project.id),
      (r) => r.length > 0 && r.every(terminal),
    );
    expect(done.status).toBe("succeeded");
    // The queue delivers message.created again: the room knows the message.
    const redelivered = await createdEventOf(c, m.id);
    expect(await routeInboundToAgent(env, db, log, redelivered)).toBe("duplicate");
    // The alarm runs the same turn again: nothing new.
    const turn = turnOf(c, m, done.id, 800);
    const deps = turnDeps();
    expect(await runTurn(deps, turn)).toEqual({ status: "already_done" });
    // A crash after the agent's answer was stored but before the reply: the next run replies once, then never again.
    await db.query.execute(sql`update agent_executions set status = 'running' where id = ${done.id}`);
    await db.query.execute(sql`delete from messages where id = ${done.id}`);
    expect(await runTurn(deps, turn)).toMatchObject({ status: "succeeded", replyMessageId: done.id });
    expect(await runTurn(deps, turn)).toEqual({ status: "already_done" });
    const replies = await rows(sql`select id from messages where project_id = ${c.t.project.id} and direction = 'outbound'`);
    expect(replies.map((r) => r.id)).toEqual([done.id]);
    // The agent was asked once: the retries never sent ExecuteAgent again.
    expect((await received(done.id)).filter((x) => x.method === "ExecuteAgent")).toHaveLength(1);
  });

  it("agent timeout: CancelExecution reaches the service and the fallback text is sent", async () => {
    const c = await conversation({
      quietWindowMs: 1500,
      timeoutSeconds: 1,
      onFailure: "fallback_text",
      fallbackText: "Já te respondemos!",
    });
    const m = await inbound(c, "alô?");
    const id = await executionIdFor(m.session_id, m.id);
    await setFault(id, { kind: "hang" });
    const [done] = await until(
      "the execution",
      () => executions(c.t.project.id),
      (r) => r.length > 0 && r.every(terminal),
      30_000,
    );
    expect(done).toMatchObject({ id, status: "timed_out", error_code: "timeout", reply_message_id: id });
    expect((await received(id)).map((x) => x.method)).toEqual(expect.arrayContaining(["ExecuteAgent", "CancelExecution"]));
    const [reply] = await rows(sql`select body, metadata from messages where id = ${id}`);
    expect(reply.body).toBe("Já te respondemos!");
    expect(reply.metadata).toMatchObject({ fallback: true });
  });

  it("agent error: handover to a human with a note; the AI then stays silent (human_takeover)", async () => {
    const c = await conversation({ quietWindowMs: 1000 });
    const agent = await api("/api/v1/agents", { method: "POST", token: c.t.keys.admin, body: { kind: "human", name: "Ana" } });
    expect(agent.status).toBe(201);
    await api("/api/v1/ai-settings", {
      method: "PATCH",
      token: c.t.keys.admin,
      body: { onFailure: "handover", handoverAgentId: agent.body.id, handoverNote: "Cliente precisa de ajuda" },
    });
    const m = await inbound(c, "quero falar sobre meu contrato");
    const id = await executionIdFor(m.session_id, m.id);
    await setFault(id, { kind: "agent-error", code: "model_down", message: "the model is down" });
    const [done] = await until(
      "the execution",
      () => executions(c.t.project.id),
      (r) => r.length > 0 && r.every(terminal),
    );
    expect(done).toMatchObject({ id, status: "failed", error_code: "model_down", reply_message_id: null });
    const [contact] = await rows(sql`select assigned_agent_id from contacts where id = ${m.contact_id}`);
    expect(contact.assigned_agent_id).toBe(agent.body.id);
    const notes = await rows(sql`select body, author_type from notes where contact_id = ${m.contact_id}`);
    expect(notes).toHaveLength(1);
    expect(notes[0].body).toContain("Cliente precisa de ajuda");
    // A crash after the handover, before the status was final: the retried turn hands over again, one note still.
    await db.query.execute(sql`update agent_executions set status = 'running' where id = ${id}`);
    const retryTurn = turnOf(c, m, id, 1000);
    const retried = await runTurn(turnDeps(), retryTurn);
    expect(retried).toMatchObject({ status: "failed" });
    expect(await rows(sql`select id from notes where contact_id = ${m.contact_id}`)).toHaveLength(1);
    // The next message: a human holds the contact.
    const next = await inbound(c, "alguém aí?");
    const skipped = await until(
      "the skipped decision",
      () => rows(sql`select * from agent_executions where project_id = ${c.t.project.id} and status = 'skipped'`),
      (r) => r.length > 0,
    );
    expect(skipped[0]).toMatchObject({ decision: { handled: false, reason: "human_takeover" }, message_ids: [next.id] });
    expect(await rows(sql`select id from messages where project_id = ${c.t.project.id} and direction = 'outbound'`)).toHaveLength(0);
    // The contact deleted while the turn was being retried: the note cannot be written, and the turn still ends.
    await db.query.execute(sql`update agent_executions set status = 'running' where id = ${id}`);
    await db.query.execute(sql`delete from notes where contact_id = ${m.contact_id}`);
    await db.query.execute(sql`update contacts set deleted_at = now() where id = ${m.contact_id}`);
    expect(await runTurn(turnDeps(), retryTurn)).toMatchObject({ status: "failed" });
    expect((await rows(sql`select status from agent_executions where id = ${id}`))[0].status).toBe("failed");
  });

  it("a human reply in the session silences the AI; opted-out contacts and disabled AI are recorded with their reason", async () => {
    const c = await conversation({ quietWindowMs: 500, optOutTag: "no-bot" });
    const m = await inbound(c, "bom dia");
    await until(
      "the first answer",
      () => executions(c.t.project.id),
      (r) => r.length > 0 && r.every(terminal),
    );
    // A person answers through the API (an API key: not the AI's execution token).
    const human = await api("/api/v1/messages", {
      method: "POST",
      token: c.t.keys.user,
      body: { contactId: m.contact_id, text: "Oi, aqui é a Ana" },
    });
    expect(human.status).toBe(202);
    // The queue's copy of the first message, arriving after the human's reply: already answered, not "skipped".
    expect(await routeInboundToAgent(env, db, log, await createdEventOf(c, m.id))).toBe("duplicate");
    const after = await inbound(c, "obrigado Ana");
    const reasons = async () =>
      rows(
        sql`select decision->>'reason' as reason, message_ids from agent_executions
          where project_id = ${c.t.project.id} and status = 'skipped'`,
      );
    const [takeover] = await until("human_takeover", reasons, (r) => r.length > 0);
    expect(takeover).toMatchObject({ reason: "human_takeover", message_ids: [after.id] });
    // Released back to the AI: the next message is answered again.
    const release = await api(`/api/v1/sessions/${m.session_id}/release-to-ai`, { method: "POST", token: c.t.keys.user });
    expect(release.status).toBe(200);
    const again = await inbound(c, "mais uma pergunta");
    const answered = await until(
      "the answer after release",
      () => rows(sql`select status from agent_executions where message_ids @> ${JSON.stringify([again.id])}::jsonb`),
      (r) => r.length > 0 && terminal(r[0]),
    );
    expect(answered[0].status).toBe("succeeded");
    // Opted out (a fresh contact with the tag)
    const c2 = await conversation({ quietWindowMs: 500, optOutTag: "no-bot" });
    const m2 = await inbound(c2, "primeira mensagem");
    await until(
      "first decision",
      () => executions(c2.t.project.id),
      (r) => r.length > 0 && r.every(terminal),
    );
    const tag = await api("/api/v1/tags", { method: "POST", token: c2.t.keys.admin, body: { name: "No-Bot" } });
    const attach = await api(`/api/v1/contacts/${m2.contact_id}/tags`, {
      method: "POST",
      token: c2.t.keys.admin,
      body: { tagId: tag.body.id },
    });
    expect([200, 201]).toContain(attach.status);
    await inbound(c2, "pare de me responder");
    const [optOut] = await until(
      "opted_out",
      () =>
        rows(sql`select decision->>'reason' as reason from agent_executions where project_id = ${c2.t.project.id} and status = 'skipped'`),
      (r) => r.length > 0,
    );
    expect(optOut.reason).toBe("opted_out");
    // Disabled.
    await api("/api/v1/ai-settings", { method: "PATCH", token: c2.t.keys.admin, body: { enabled: false } });
    const m3 = await inbound(c2, "ainda aí?");
    await until(
      "ai_disabled",
      () =>
        rows(
          sql`select decision->>'reason' as reason from agent_executions
            where project_id = ${c2.t.project.id} and message_ids @> ${JSON.stringify([m3.id])}::jsonb`,
        ),
      (r) => r.length > 0 && r[0].reason === "ai_disabled",
    );
  });

  it("the Connect protocol is selectable, and streaming relays typing and partial text to the session's room", async () => {
    const c = await conversation({ quietWindowMs: 60_000, streaming: true });
    const m = await inbound(c, "qual o preço?");
    const relayed: { topic: string; payload: any }[] = [];
    const turn = turnOf(c, m);
    const outcome = await runTurn(
      turnDeps("connect", async (topic, payload) => {
        relayed.push({ topic, payload });
      }),
      turn,
    );
    expect(outcome).toMatchObject({ status: "succeeded", replyMessageId: turn.executionId });
    const calls = await received(turn.executionId);
    expect(calls.map((x) => [x.method, x.protocol])).toEqual([["ExecuteAgentStream", "connect"]]);
    expect(relayed[0]).toMatchObject({ topic: "agent.typing", payload: { typing: true } });
    expect(relayed.some((r) => r.topic === "agent.partial" && typeof r.payload.delta === "string")).toBe(true);
    expect(relayed.at(-1)).toMatchObject({ topic: "agent.typing", payload: { typing: false } });
  });

  it("the quiet window counts from the message's receipt; a message routed late never moves the turn earlier", async () => {
    // A room of its own, for a conversation no project configured: whatever its alarm runs is recorded nowhere.
    const room = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(crypto.randomUUID()));
    const base = {
      tenantId: crypto.randomUUID(),
      projectId: crypto.randomUUID(),
      sessionId: crypto.randomUUID(),
      contactId: crypto.randomUUID(),
      channelId: null,
      quietWindowMs: 60_000,
      timeoutSeconds: 30,
    };
    const receivedAt = Date.now() - 10_000;
    const first = await room.enqueueForAgent({ ...base, messageId: crypto.randomUUID(), receivedAt });
    // Due 60 s after receipt, not 60 s after it reached the room.
    expect(first.dueAt).toBe(receivedAt + 60_000);
    // An older message delivered late (the queue's path) keeps the later due time.
    const late = await room.enqueueForAgent({ ...base, messageId: crypto.randomUUID(), receivedAt: receivedAt - 30_000 });
    expect(late.dueAt).toBe(receivedAt + 60_000);
    // A receipt time ahead of this clock (skew) counts from now, never from the future.
    const before = Date.now();
    const ahead = await room.enqueueForAgent({ ...base, messageId: crypto.randomUUID(), receivedAt: before + 3_600_000 });
    expect(ahead.dueAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(ahead.dueAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  it("a turn that fails every time is abandoned after its last attempt: its execution is marked failed", async () => {
    const t = await createActors(db);
    const executionId = crypto.randomUUID();
    await db.query.execute(sql`insert into agent_executions (id, tenant_id, project_id, actor_type, actor_id, kind, name, status)
      values (${executionId}, ${t.tenant.id}, ${t.project.id}, 'system', 'ai-orchestrator', 'execution', 'CustomerService', 'running')`);
    const stub = env.SESSION_ROOM.get(env.SESSION_ROOM.idFromName(crypto.randomUUID()));
    // A channel id that is not a uuid: every run of this turn fails in its first read.
    const poisoned = {
      executionId,
      tenantId: t.tenant.id,
      projectId: t.project.id,
      sessionId: crypto.randomUUID(),
      contactId: crypto.randomUUID(),
      channelId: "not-a-uuid",
      messages: [{ messageId: crypto.randomUUID(), receivedAt: Date.now() }],
      quietWindowMs: 0,
      startedAt: Date.now(),
      timeoutSeconds: 30,
    };
    const stored = () => runInDurableObject(stub, async (_room, state) => state.storage.get<{ attempts?: number }>("ai:current"));
    // The room's alarm handler is called directly: a failing alarm the runtime retries by itself would race the test.
    const arm = (turn: typeof poisoned & { attempts?: number }) =>
      runInDurableObject(stub, async (_room, state) => state.storage.put("ai:current", turn));
    const fire = () => runInDurableObject(stub, async (room) => room.alarm());
    await arm(poisoned);
    // A failed run keeps the turn, counted, for the alarm's retry.
    await expect(fire()).rejects.toThrow(/not-a-uuid/);
    expect((await stored())?.attempts).toBe(1);
    const [running] = await rows(sql`select status from agent_executions where id = ${executionId}`);
    expect(running.status).toBe("running");
    // The last attempt: abandoned, the execution says why, the room holds no turn any more.
    await arm({ ...poisoned, attempts: 5 });
    await fire();
    expect(await stored()).toBeUndefined();
    const [failed] = await rows(sql`select status, error_code, error_message from agent_executions where id = ${executionId}`);
    expect(failed).toMatchObject({ status: "failed", error_code: "internal" });
    expect(failed.error_message).toMatch(/failed 6 times/);
  });

  it("what Postgres cannot store as it came (a NUL from the agent, an emoji cut at the limit) is cleaned, not retried", async () => {
    const c = await conversation({ quietWindowMs: 60_000 });
    const m = await inbound(c, "me manda o texto completo");
    // A NUL in the agent's error message (valid in a proto string, not in jsonb).
    const failing = turnOf(c, m);
    await setFault(failing.executionId, { kind: "agent-error", code: "model_down", message: "bad\u0000byte" });
    expect(await runTurn(turnDeps(), failing)).toMatchObject({ status: "failed" });
    const [failed] = await rows(sql`select error_message from agent_executions where id = ${failing.executionId}`);
    expect(failed.error_message).toBe("badbyte");
    // An answer stored by an earlier run: 4 095 letters, then an emoji across the 4 096 limit.
    const turn = turnOf(c, m);
    const text = `${"a".repeat(4095)}\u{1F600} e mais`;
    const response = {
      status: "success",
      text,
      actions: [],
      executionTimeMs: 1,
      model: null,
      subAgents: [],
      mcpTools: [],
      tokensUsed: 0,
      costUsd: 0,
      errorCode: null,
      errorMessage: null,
    };
    await db.query.execute(sql`insert into agent_executions (id, tenant_id, project_id, session_id, contact_id, channel_id, message_ids,
        actor_type, actor_id, kind, name, status, output, queued_at, started_at)
      values (${turn.executionId}, ${turn.tenantId}, ${turn.projectId}, ${turn.sessionId}, ${turn.contactId}, ${turn.channelId},
        ${JSON.stringify([m.id])}::jsonb, 'system', 'ai-orchestrator', 'execution', 'CustomerService', 'running',
        ${JSON.stringify({ response })}::jsonb, now(), now())`);
    expect(await runTurn(turnDeps(), turn)).toMatchObject({ status: "succeeded", replyMessageId: turn.executionId });
    const [reply] = await rows(sql`select body from messages where id = ${turn.executionId}`);
    expect(reply.body).toBe("a".repeat(4095));
  });
});
