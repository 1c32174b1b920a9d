import { z } from "zod";
import { AppError } from "../../lib/errors";

export type AgentServiceProtocol = "grpc-web" | "connect";

export interface AgentServiceConfig {
  url: string;
  protocol: AgentServiceProtocol;
  /** Sent as `Authorization: Bearer …` on every call; never in an error or a log line. */
  token?: string;
}

/** The vars and secret that configure the agent service (wrangler.toml [vars]; the token is a secret). */
export interface AgentServiceVars {
  AGENT_SERVICE_URL?: string;
  AGENT_SERVICE_PROTOCOL?: string;
  AGENT_SERVICE_TOKEN?: string;
}

const schema = z.object({
  AGENT_SERVICE_URL: z
    .union([z.literal(""), z.url({ protocol: /^https?$/, error: "AGENT_SERVICE_URL must be an http(s) URL" })])
    .default(""),
  // gRPC-Web by default: native gRPC cannot start from workerd, and gRPC-Web is what a gRPC server's web front speaks.
  AGENT_SERVICE_PROTOCOL: z.enum(["grpc-web", "connect"]).default("grpc-web"),
  AGENT_SERVICE_TOKEN: z.string().min(1).optional(),
});

/** The agent service's settings, or null when AGENT_SERVICE_URL is empty: AI agents are off. */
export function agentServiceConfig(vars: AgentServiceVars): AgentServiceConfig | null {
  const parsed = schema.safeParse({
    AGENT_SERVICE_URL: vars.AGENT_SERVICE_URL?.trim(),
    AGENT_SERVICE_PROTOCOL: vars.AGENT_SERVICE_PROTOCOL || undefined,
    AGENT_SERVICE_TOKEN: vars.AGENT_SERVICE_TOKEN || undefined,
  });
  if (!parsed.success) {
    // Issues name the setting and the rule, never the value (the token is one of them).
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new AppError("internal", `Invalid agent service configuration — ${problems.join("; ")}`, {
      settings: parsed.error.issues.map((i) => i.path.join(".")),
    });
  }
  const { AGENT_SERVICE_URL: url, AGENT_SERVICE_PROTOCOL: protocol, AGENT_SERVICE_TOKEN: token } = parsed.data;
  return url ? { url, protocol, token } : null;
}
