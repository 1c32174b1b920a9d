import type { z } from "zod";
import { schema } from "../../db";
import { randomToken } from "../../lib/crypto";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";
import type { ChannelInput } from "./index";

/**
 * `webhookSecret` is the HMAC key WAHA signs webhooks with. Omitted, null or empty → a random secret is generated: a
 * channel always has one, and unsigned webhooks are refused. WAHA must be configured with the same HMAC key.
 */
export type CreateChannelInput = z.infer<typeof ChannelInput>;

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
        webhookSecret: input.webhookSecret || randomToken(32),
        settings: input.settings ?? {},
      })
      .returning(),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("channel.created", { channelId: id })),
  ] as const);
  return row!;
}
