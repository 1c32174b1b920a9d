/**
 * `tsx scripts/agent-service/check-protocols.ts`: the reference service answers gRPC, gRPC-Web and Connect on its one
 * port — unary and streaming — and refuses a missing token on each. The Worker only speaks gRPC-Web and Connect
 * (test/integrations/agent-service.test.ts); native gRPC, which a Python or Go client would use, is checked here
 * from Node, where HTTP/2 clients exist.
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { AgentService } from "../../src/gen/ventros/agent/agent_pb";
import { startAgentService } from "./server";

const token = randomUUID();
const service = await startAgentService({ token });
const transports: Record<string, (auth: boolean) => Transport> = {
  grpc: (auth) => createGrpcTransport({ baseUrl: service.url, interceptors: [bearer(auth)] }),
  "grpc-web": (auth) => createGrpcWebTransport({ baseUrl: service.url, httpVersion: "1.1", interceptors: [bearer(auth)] }),
  connect: (auth) => createConnectTransport({ baseUrl: service.url, httpVersion: "1.1", interceptors: [bearer(auth)] }),
};
let failed = false;
try {
  for (const [protocol, transport] of Object.entries(transports)) {
    const client = createClient(AgentService, transport(true));
    const unaryId = randomUUID();
    const unary = await client.executeAgent({ executionId: unaryId, agentType: "CustomerService", inputText: "oi" });
    const streamId = randomUUID();
    const kinds: string[] = [];
    const stream = client.executeAgentStream({ executionId: streamId, inputText: "quanto custa?" });
    for await (const event of stream) kinds.push(event.event.case ?? "?");
    const seen = service.calls.filter((c) => c.executionId === unaryId || c.executionId === streamId).map((c) => c.protocol);
    const refused = await createClient(AgentService, transport(false))
      .getExecutionStatus({ executionId: unaryId })
      .then(
        () => "served",
        (err) => ConnectError.from(err).code,
      );
    const ok =
      unary.status === "success" && kinds.at(-1) === "completed" && seen.every((p) => p === protocol) && refused === Code.Unauthenticated;
    failed ||= !ok;
    const refusal = Code[refused as Code] ?? refused;
    console.log(`${ok ? "ok  " : "FAIL"} ${protocol}: unary ${unary.status}, stream ${kinds.join(" → ")}, no token → ${refusal}`);
  }
} finally {
  await service.close();
}
process.exit(failed ? 1 : 0);

function bearer(auth: boolean): Interceptor {
  return (next) => (req) => {
    if (auth) req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
