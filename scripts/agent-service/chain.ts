import type { AgentExecutionRequest } from "../../src/gen/ventros/agent/agent_pb";
import type { Composer, Composition } from "./compose";
import { callTool, type McpTarget, type ToolOutcome } from "./mcp-client";
import { documentSources, memorySources, mergeSources } from "./sources";
import { contentWords } from "./words";

/** The integration guide's CustomerService agent: these sub-agents, in this order. */
export const CUSTOMER_SERVICE_CHAIN = ["LeadQualifier", "Pricing", "Proposal", "Approval", "ResponseGenerator"] as const;
export type SubAgent = (typeof CUSTOMER_SERVICE_CHAIN)[number];
export const CUSTOMER_SERVICE = "CustomerService";

/** How the chain reports its progress (the service turns each into an event and a status update). */
export interface ChainHooks {
  signal: AbortSignal;
  subAgentStarted(name: SubAgent): void;
  toolCalled(subAgent: SubAgent, tool: string, outcome: ToolOutcome): void;
  partialText(delta: string): void;
}

export interface ChainResult extends Composition {
  /** Notes of the steps (qualification, approval), reported in the response's metadata. */
  notes: Record<string, string>;
}

const BUYING_WORDS = ["preco", "valor", "quanto", "custa", "comprar", "contrat", "plano", "orcamento", "price", "cost", "buy"];

/**
 * Runs the chain: each step reads the CRM through its MCP tools, as the guide's Python agent does, and the last one
 * composes the reply. A failed tool call is reported and the chain goes on with what it has; without MCP access no
 * tool is called and the reply says the records could not be read.
 */
export async function runCustomerService(
  request: AgentExecutionRequest,
  mcp: McpTarget | undefined,
  composer: Composer,
  hooks: ChainHooks,
): Promise<ChainResult> {
  let attempted = 0;
  let reached = 0;
  const tool = async (step: SubAgent, name: string, args: Record<string, unknown>) => {
    if (!mcp) return undefined;
    attempted++;
    const outcome = await callTool(mcp, name, args, hooks.signal);
    hooks.toolCalled(step, name, outcome);
    if (!outcome.ok) return undefined;
    reached++;
    return outcome.result;
  };
  const step = (name: SubAgent) => {
    hooks.signal.throwIfAborted();
    hooks.subAgentStarted(name);
  };
  const query = request.inputText.trim();
  const about = request.contactId ? { contact_id: request.contactId } : {};

  step("LeadQualifier");
  const contact = request.contactId ? (await tool("LeadQualifier", "get_contact", { contact_id: request.contactId }))?.contact : undefined;
  const listed = request.sessionId ? await tool("LeadQualifier", "get_messages", { session_id: request.sessionId, limit: 20 }) : undefined;
  const history = (Array.isArray(listed?.messages) ? listed.messages : [])
    .filter((m: any) => typeof m?.body === "string" && m.body)
    .map((m: any) => ({ direction: String(m.direction), body: m.body as string }))
    .reverse();
  const words = contentWords([query, ...history.filter((m: any) => m.direction === "inbound").map((m: any) => m.body)].join(" "));
  const buying = words.some((w) => BUYING_WORDS.some((b) => w.startsWith(b)));

  step("Pricing");
  const documents = query ? documentSources(await tool("Pricing", "search_documents", { query, ...about, limit: 5 })) : [];

  step("Proposal");
  const remembered = query ? memorySources(await tool("Proposal", "search_memory", { query, ...about, limit: 5 })) : [];
  const sources = mergeSources(documents, remembered);

  step("Approval");
  // Nothing found to ground an answer about prices or terms: a person should confirm before any commitment.
  const grounded = sources.some((s) => s.kind === "document");
  const approval = grounded || !buying ? "approved" : "needs_human";

  step("ResponseGenerator");
  const composition = await composer.compose(
    { request, contactName: contact?.name ?? undefined, history, sources, crmReachable: Boolean(mcp) && (reached > 0 || attempted === 0) },
    hooks.partialText,
    hooks.signal,
  );
  return { ...composition, notes: { lead_intent: buying ? "buying" : "other", approval } };
}
