import { describe, expect, inject, it } from "vitest";
import {
  type AgentExecutionEvent,
  type AgentServiceProtocol,
  agentServiceConfig,
  type ClientTuning,
  createAgentServiceClient,
  ExecutionState,
} from "../../src/integrations/agent-service";
import { failure } from "./model-peer";

/** The reference agent service started by test/global-setup.ts, and its test controls. */
const serviceUrl = () => inject("agentServiceUrl");
const serviceToken = () => inject("agentServiceToken");
const CHAIN = ["LeadQualifier", "Pricing", "Proposal", "Approval", "ResponseGenerator"];

async function setFault(executionId: string, fault: Record<string, unknown>) {
  const res = await fetch(`${serviceUrl()}/__agent-service/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ executionId, fault }),
  });
  if (!res.ok) throw new Error(`agent service faults: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
}

/** The RPCs the service received for one execution, in order. */
async function received(executionId: string): Promise<{ method: string; protocol: string; mcp: boolean }[]> {
  const res = await fetch(`${serviceUrl()}/__agent-service/calls?executionId=${executionId}`);
  return res.json();
}

const newExecution = () => ({ executionId: crypto.randomUUID(), agentType: "CustomerService", inputText: "Qual o valor do contrato?" });
const kinds = (events: AgentExecutionEvent[]) => events.map((e) => e.event.case);

async function collect(stream: AsyncIterable<AgentExecutionEvent>, onEvent?: (e: AgentExecutionEvent) => void) {
  const events: AgentExecutionEvent[] = [];
  for await (const event of stream) {
    events.push(event);
    onEvent?.(event);
  }
  return events;
}

describe.each<AgentServiceProtocol>(["grpc-web", "connect"])("agent service client over %s", (protocol) => {
  const client = (opts: { token?: string | undefined; tuning?: ClientTuning } = {}) =>
    createAgentServiceClient(
      { url: serviceUrl(), protocol, token: "token" in opts ? opts.token : serviceToken() },
      opts.tuning ?? { deadlineMarginMs: 50 },
    );

  it("runs ExecuteAgent through the CustomerService chain, over the chosen protocol", async () => {
    const req = newExecution();
    const res = await client().execute(req);
    expect(res).toMatchObject({
      executionId: req.executionId,
      agentType: "CustomerService",
      status: "success",
      subAgentsCalled: 5,
      subAgentTypes: CHAIN,
      mcpToolsCalled: 0,
      tokensUsed: 0,
    });
    // No CRM named for this execution: no tool was called, and the reply says so instead of inventing an answer.
    expect(res.responseText).toContain("Não consegui consultar nossos registros");
    expect(res.metadata.model).toBe("ventros/reference-deterministic-v1");
    expect(await received(req.executionId)).toEqual([expect.objectContaining({ method: "ExecuteAgent", protocol, mcp: false })]);
  });

  it("streams the execution's events in order, ending with the response", async () => {
    const req = newExecution();
    const events = await collect(client().executeStream(req));
    expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
    expect(events.every((e) => e.executionId === req.executionId)).toBe(true);
    expect(kinds(events)[0]).toBe("started");
    expect(kinds(events).at(-1)).toBe("completed");
    const subAgents = events.flatMap((e) => (e.event.case === "subAgentStarted" ? [e.event.value] : []));
    expect(subAgents.map((s) => [s.subAgentType, s.position])).toEqual(CHAIN.map((name, i) => [name, i + 1]));
    // Text comes after the last sub-agent started, and the deltas add up to the final reply.
    expect(kinds(events).lastIndexOf("subAgentStarted")).toBeLessThan(kinds(events).indexOf("partialText"));
    const text = events.flatMap((e) => (e.event.case === "partialText" ? [e.event.value.delta] : [])).join("");
    const last = events.at(-1)!.event;
    expect(last.case === "completed" && last.value.response?.responseText).toBe(text);
    expect(await received(req.executionId)).toEqual([expect.objectContaining({ method: "ExecuteAgentStream", protocol })]);
  });

  it("sends the MCP target as call headers: each step's tool call is reported, failures included", async () => {
    const req = { ...newExecution(), contactId: crypto.randomUUID(), sessionId: crypto.randomUUID() };
    const key = `vtr_test_${crypto.randomUUID()}`;
    // Not a CRM: every tool call fails (404), which the chain reports and survives. The chain against the real
    // Worker's MCP tools needs the Worker reachable over HTTP from the service's process (the orchestration's tests).
    const events = await collect(client().executeStream(req, { mcp: { url: serviceUrl(), key } }));
    const tools = events.flatMap((e) => (e.event.case === "toolCalled" ? [e.event.value] : []));
    expect(tools.map((t) => [t.subAgentType, t.toolName, t.ok, t.errorCode])).toEqual([
      ["LeadQualifier", "get_contact", false, "http_404"],
      ["LeadQualifier", "get_messages", false, "http_404"],
      ["Pricing", "search_documents", false, "http_404"],
      ["Proposal", "search_memory", false, "http_404"],
    ]);
    const last = events.at(-1)!.event;
    if (last.case !== "completed") throw new Error(`expected completed, got ${last.case}`);
    expect(last.value.response).toMatchObject({
      mcpToolsCalled: 4,
      mcpToolNames: ["get_contact", "get_messages", "search_documents", "search_memory"],
    });
    expect(last.value.response?.responseText).toContain("Não consegui consultar nossos registros");
    expect(JSON.stringify(events)).not.toContain(key);
    expect((await received(req.executionId))[0]?.mcp).toBe(true);
  });

  it("returns the AgentActions the agent decided on", async () => {
    const req = newExecution();
    const contactId = crypto.randomUUID();
    await setFault(req.executionId, {
      kind: "actions",
      actions: [{ actionType: "qualify_lead", entityType: "contact", entityId: contactId, data: { qualification: "hot" } }],
    });
    const res = await client().execute(req);
    expect(res.actions.map((a) => ({ type: a.actionType, entity: a.entityType, id: a.entityId, data: a.data }))).toEqual([
      { type: "qualify_lead", entity: "contact", id: contactId, data: { qualification: "hot" } },
    ]);
  });

  it("on its deadline, gives up and cancels the execution at the service", async () => {
    const req = { ...newExecution(), timeoutSeconds: 1 };
    // A stuck agent: it ignores its own timeout and waits until someone cancels it.
    await setFault(req.executionId, { kind: "hang" });
    const err = await failure(client().execute(req));
    expect(err.code).toBe("unavailable");
    expect(err.details).toMatchObject({ reason: "timeout", executionId: req.executionId, cancelSent: true });
    expect((await received(req.executionId)).map((c) => c.method)).toEqual(["ExecuteAgent", "CancelExecution"]);
    const status = await client().status(req.executionId);
    expect(status).toMatchObject({ state: ExecutionState.CANCELLED, cancelReason: "no result within 1050 ms" });
    expect(status?.response).toMatchObject({ status: "cancelled", errorCode: "cancelled" });
  });

  it("cancels the execution when the caller aborts, and when it stops reading the stream", async () => {
    const aborted = newExecution();
    await setFault(aborted.executionId, { kind: "hang" });
    const controller = new AbortController();
    const err = await failure(collect(client().executeStream(aborted, { signal: controller.signal }), () => controller.abort()));
    expect(err.details).toMatchObject({ reason: "cancelled", cancelSent: true });
    expect(await client().status(aborted.executionId)).toMatchObject({
      state: ExecutionState.CANCELLED,
      cancelReason: "cancelled by the caller",
    });

    const left = newExecution();
    await setFault(left.executionId, { kind: "hang" });
    for await (const event of client().executeStream(left)) if (event.event.case === "started") break;
    expect(await client().status(left.executionId)).toMatchObject({
      state: ExecutionState.CANCELLED,
      cancelReason: "the caller stopped reading the stream",
    });
  });

  it("CancelExecution stops a running execution, whose stream ends with a failed event", async () => {
    const req = newExecution();
    await setFault(req.executionId, { kind: "hang" });
    const events: AgentExecutionEvent[] = [];
    for await (const event of client().executeStream(req)) {
      events.push(event);
      if (event.event.case !== "started") continue;
      expect(await client().status(req.executionId)).toMatchObject({ state: ExecutionState.RUNNING, agentType: "CustomerService" });
      expect(await client().cancel(req.executionId, "superseded by a new message")).toMatchObject({
        stopped: true,
        state: ExecutionState.CANCELLED,
      });
    }
    expect(kinds(events)).toEqual(["started", "failed"]);
    const last = events[1]!.event;
    expect(last.case === "failed" && last.value.response).toMatchObject({
      status: "cancelled",
      errorMessage: "superseded by a new message",
    });
    // Idempotent: cancelling again stops nothing.
    expect(await client().cancel(req.executionId, "again")).toMatchObject({ stopped: false, state: ExecutionState.CANCELLED });
  });

  it("answers with the service's own timeout when it stops itself first", async () => {
    const req = { ...newExecution(), timeoutSeconds: 1 };
    await setFault(req.executionId, { kind: "delay", ms: 60_000 });
    const res = await client({ tuning: { deadlineMarginMs: 30_000 } }).execute(req);
    expect(res).toMatchObject({ status: "timeout", errorCode: "timeout" });
    expect((await received(req.executionId)).map((c) => c.method)).toEqual(["ExecuteAgent"]);
  });

  it("maps a missing or wrong token to bad_gateway without echoing any token", async () => {
    for (const token of [undefined, "wrong-token-1234567890"]) {
      const req = newExecution();
      const err = await failure(client({ token }).execute(req));
      expect(err.code).toBe("bad_gateway");
      expect(err.details).toMatchObject({ reason: "rejected", grpcCode: "unauthenticated", rpc: "ExecuteAgent", protocol });
      expect(err.message).toContain("check AGENT_SERVICE_TOKEN");
      expect(JSON.stringify({ message: err.message, details: err.details })).not.toMatch(/wrong-token|test-agent-service-token/);
      // Refused before anything ran.
      expect(await client().status(req.executionId)).toBeNull();
    }
  });

  it("maps service failures, never executes twice, and keeps secrets out of messages", async () => {
    const req = newExecution();
    await setFault(req.executionId, { kind: "rpc-error", code: "unavailable", message: `overloaded; token=${serviceToken()}` });
    const err = await failure(client().execute(req));
    expect(err.code).toBe("unavailable");
    expect(err.details).toMatchObject({ reason: "unavailable", grpcCode: "unavailable" });
    expect(err.message).toContain("overloaded; token=***");
    expect(err.message).not.toContain(serviceToken());
    // A retryable code, yet the execution was requested once: the client never re-sends an execution.
    expect((await received(req.executionId)).map((c) => c.method)).toEqual(["ExecuteAgent"]);
    expect(await client().status(req.executionId)).toMatchObject({ state: ExecutionState.FAILED });

    const streamed = newExecution();
    await setFault(streamed.executionId, { kind: "rpc-error", code: "internal", message: "crashed" });
    const seen: string[] = [];
    const mid = await failure(collect(client().executeStream(streamed), (e) => seen.push(e.event.case!)));
    expect(seen).toEqual(["started"]);
    expect(mid.details).toMatchObject({ reason: "unavailable", grpcCode: "internal", rpc: "ExecuteAgentStream" });
    expect((await received(streamed.executionId)).map((c) => c.method)).toEqual(["ExecuteAgentStream"]);

    const unknownAgent = await failure(client().execute({ ...newExecution(), agentType: "Astrologer" }));
    expect(unknownAgent.code).toBe("bad_gateway");
    expect(unknownAgent.details).toMatchObject({ reason: "rejected", grpcCode: "invalid_argument" });
  });

  it("returns an agent's failed result as data, with its code", async () => {
    const req = newExecution();
    await setFault(req.executionId, { kind: "agent-error", code: "llm_failed", message: "the model refused" });
    expect(await client().execute(req)).toMatchObject({ status: "error", errorCode: "llm_failed", errorMessage: "the model refused" });
  });

  it("treats the execution id as used once: a repeat is a conflict, and a cancelled id never starts", async () => {
    const req = newExecution();
    await client().execute(req);
    const again = await failure(client().execute(req));
    expect(again.code).toBe("conflict");
    expect(again.details).toMatchObject({ reason: "already_exists" });

    const early = newExecution();
    expect(await client().cancel(early.executionId, "timeout")).toMatchObject({ stopped: false, state: ExecutionState.CANCELLED });
    expect((await failure(client().execute(early))).details).toMatchObject({ reason: "already_exists" });
    expect(await client().status(crypto.randomUUID())).toBeNull();
  });

  it("refuses a request without an execution id before calling", async () => {
    const err = await failure(client().execute({ agentType: "CustomerService", inputText: "oi" }));
    expect(err.code).toBe("invalid_request");
  });
});

describe("agent service configuration", () => {
  it("is off without a URL, gRPC-Web by default, and names a bad setting without its value", () => {
    expect(agentServiceConfig({ AGENT_SERVICE_URL: "" })).toBeNull();
    expect(agentServiceConfig({ AGENT_SERVICE_URL: "https://adk.example.com", AGENT_SERVICE_TOKEN: "s3cret" })).toEqual({
      url: "https://adk.example.com",
      protocol: "grpc-web",
      token: "s3cret",
    });
    expect(agentServiceConfig({ AGENT_SERVICE_URL: "http://127.0.0.1:1", AGENT_SERVICE_PROTOCOL: "connect" })?.protocol).toBe("connect");
    expect(() => agentServiceConfig({ AGENT_SERVICE_URL: "ftp://x", AGENT_SERVICE_TOKEN: "s3cret" })).toThrow(/AGENT_SERVICE_URL/);
    expect(() => agentServiceConfig({ AGENT_SERVICE_URL: "http://x", AGENT_SERVICE_PROTOCOL: "grpc" })).toThrow(/AGENT_SERVICE_PROTOCOL/);
  });
});
