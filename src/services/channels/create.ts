import { schema } from "../../db";
import { randomToken } from "../../lib/crypto";
import type { ServiceContext } from "../context";

export interface CreateChannelInput {
  name: string;
  wahaSession: string;
  baseUrl: string;
  apiKey?: string | null;
  /** Omitted → a random secret is generated; WAHA must be configured with the same HMAC key. */
  webhookSecret?: string | null;
}

export async function createChannel(ctx: ServiceContext, input: CreateChannelInput) {
  const [row] = await ctx.db.query
    .insert(schema.channels)
    .values({
      tenantId: ctx.principal.tenantId,
      projectId: ctx.principal.projectId,
      type: "waha",
      name: input.name,
      wahaSession: input.wahaSession,
      baseUrl: input.baseUrl.replace(/\/+$/, ""),
      apiKey: input.apiKey ?? null,
      webhookSecret: input.webhookSecret === undefined ? randomToken(32) : input.webhookSecret,
    })
    .returning();
  return row!;
}
