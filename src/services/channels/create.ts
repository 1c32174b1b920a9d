import { schema } from "../../db";
import { randomToken } from "../../lib/crypto";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";

export interface CreateChannelInput {
  name: string;
  wahaSession: string;
  baseUrl: string;
  apiKey?: string | null;
  /** Omitted → a random secret is generated; WAHA must be configured with the same HMAC key. */
  webhookSecret?: string | null;
  settings?: Record<string, unknown>;
}

export async function createChannel(ctx: ServiceContext, input: CreateChannelInput) {
  const id = uuidv7();
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.channels)
      .values({
        id,
        tenantId: ctx.principal.tenantId,
        projectId: ctx.principal.projectId,
        type: "waha",
        name: input.name,
        wahaSession: input.wahaSession,
        baseUrl: input.baseUrl.replace(/\/+$/, ""),
        apiKey: input.apiKey ?? null,
        webhookSecret: input.webhookSecret === undefined ? randomToken(32) : input.webhookSecret,
        settings: input.settings ?? {},
      })
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("channel.created", { channelId: id })),
  ] as const);
  return row!;
}
