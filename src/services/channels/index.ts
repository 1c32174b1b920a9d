import { z } from "zod";
import { schema } from "../../db";
import { randomToken } from "../../lib/crypto";
import type { ServiceContext } from "../context";
import { deleteScoped, findScoped, updateScoped } from "../shared/crud";
import { httpUrl, jsonObject } from "../shared/schemas";
import { inScope } from "../shared/scope";
import { forgetWebhookChannel } from "../whatsapp/channel-lookup";
import { createChannel } from "./create";

export const ChannelInput = z.object({
  name: z.string().trim().min(1).max(120),
  wahaSession: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, - and _ only"),
  baseUrl: httpUrl(500),
  apiKey: z.string().min(1).max(500).nullish(),
  webhookSecret: z
    .string()
    .min(16)
    .max(500)
    .nullish()
    .describe("WAHA's webhook HMAC key; omitted or null → a random one is generated (every channel has one)"),
  settings: jsonObject().optional(),
});
export const ChannelUpdateInput = ChannelInput.omit({ webhookSecret: true }).partial();

type ChannelRow = typeof schema.channels.$inferSelect;

/** Credentials never leave the API after creation; callers see whether they are set. */
export function publicChannel(row: ChannelRow, baseUrl?: string) {
  const { apiKey, webhookSecret, ...rest } = row;
  return {
    ...rest,
    hasApiKey: Boolean(apiKey),
    hasWebhookSecret: Boolean(webhookSecret),
    webhookPath: `/webhooks/waha/${row.id}`,
    ...(baseUrl ? { webhookUrl: `${baseUrl}/webhooks/waha/${row.id}` } : {}),
  };
}

export async function listChannels(ctx: ServiceContext) {
  return ctx.db.query.select().from(schema.channels).where(inScope(schema.channels, ctx.principal)).orderBy(schema.channels.id);
}

export async function getChannel(ctx: ServiceContext, id: string) {
  return findScoped(ctx, schema.channels, id, "Channel");
}

export const addChannel = (ctx: ServiceContext, input: z.infer<typeof ChannelInput>) => createChannel(ctx, input);

export async function updateChannel(ctx: ServiceContext, id: string, input: z.infer<typeof ChannelUpdateInput>) {
  forgetWebhookChannel(id);
  const changes = { ...input, ...(input.baseUrl ? { baseUrl: input.baseUrl.replace(/\/+$/, "") } : {}) };
  return updateScoped(ctx, schema.channels, id, "Channel", changes, { topic: "channel.updated", idKey: "channelId" });
}

/** Returns the new secret once; WAHA must be reconfigured with it. The event names the change, never the secret. */
export async function rotateWebhookSecret(ctx: ServiceContext, id: string) {
  // Other isolates pick the new secret up within the webhook cache's TTL; this one at once.
  forgetWebhookChannel(id);
  const secret = randomToken(32);
  const channel = await updateScoped(
    ctx,
    schema.channels,
    id,
    "Channel",
    { webhookSecret: secret },
    { topic: "channel.secret_rotated", idKey: "channelId" },
  );
  return { channel, webhookSecret: secret };
}

export const deleteChannel = (ctx: ServiceContext, id: string) => {
  forgetWebhookChannel(id);
  return deleteScoped(ctx, schema.channels, id, "Channel", { topic: "channel.deleted", idKey: "channelId" });
};
