import { z } from "zod";
import { channelStatusEnum, channelTypeEnum } from "../../db/schema/enums";
import { nothing, nullableTimestamp, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import {
  addChannel,
  ChannelInput,
  ChannelUpdateInput,
  deleteChannel,
  getChannel,
  listChannels,
  publicChannel,
  rotateWebhookSecret,
  updateChannel,
} from "./index";

/** What callers see of a channel: whether credentials are set, never the credentials. */
const Channel = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    projectId: z.string(),
    type: z.enum(channelTypeEnum.enumValues),
    name: z.string(),
    wahaSession: z.string(),
    baseUrl: z.string(),
    status: z.enum(channelStatusEnum.enumValues).describe("The WAHA session's status, as last reported"),
    statusUpdatedAt: nullableTimestamp,
    settings: z.record(z.string(), z.unknown()),
    hasApiKey: z.boolean(),
    hasWebhookSecret: z.boolean(),
    webhookPath: z.string(),
    webhookUrl: z.string().optional().describe("Where WAHA posts events; present when the deployment's public URL is configured"),
    createdAt: timestamp,
    updatedAt: timestamp,
  })
  .meta({ id: "Channel" });
const WithSecret = Channel.extend({
  webhookSecret: z.string().nullable().describe("Shown once: configure WAHA's webhook HMAC key with it"),
}).meta({
  id: "ChannelWithSecret",
});

const channelId = z.uuid().describe("The channel id");

export const listChannelsVerb = defineVerb({
  name: "channels.list",
  summary: "List WhatsApp channels (WAHA sessions) and their connection status",
  permission: "crm:read",
  input: z.object({}),
  output: z.object({ data: z.array(Channel) }),
  emits: [],
  run: async (ctx) => {
    const rows = await listChannels(ctx);
    return { data: rows.map((row) => publicChannel(row, ctx.publicBaseUrl)) };
  },
});

export const getChannelVerb = defineVerb({
  name: "channels.get",
  summary: "Get a channel",
  permission: "crm:read",
  input: z.object({ channelId }),
  output: Channel,
  emits: [],
  run: async (ctx, { channelId }) => publicChannel(await getChannel(ctx, channelId), ctx.publicBaseUrl),
});

export const createChannelVerb = defineVerb({
  name: "channels.create",
  summary: "Connect a WAHA session (the webhook secret is shown once)",
  permission: "channels:manage",
  input: ChannelInput,
  output: WithSecret,
  emits: ["channel.created"],
  run: async (ctx, input) => {
    const row = await addChannel(ctx, input);
    return { ...publicChannel(row, ctx.publicBaseUrl), webhookSecret: row.webhookSecret };
  },
});

export const updateChannelVerb = defineVerb({
  name: "channels.update",
  summary: "Update a channel (settings are replaced as a whole)",
  permission: "channels:manage",
  input: ChannelUpdateInput.extend({ channelId }),
  output: Channel,
  emits: ["channel.updated"],
  run: async (ctx, { channelId, ...input }) => publicChannel(await updateChannel(ctx, channelId, input), ctx.publicBaseUrl),
});

export const rotateWebhookSecretVerb = defineVerb({
  name: "channels.rotate_webhook_secret",
  summary: "Issue a new webhook HMAC secret (shown once)",
  permission: "channels:manage",
  input: z.object({ channelId }),
  output: WithSecret,
  emits: ["channel.secret_rotated"],
  run: async (ctx, { channelId }) => {
    const { channel, webhookSecret } = await rotateWebhookSecret(ctx, channelId);
    return { ...publicChannel(channel, ctx.publicBaseUrl), webhookSecret };
  },
});

export const deleteChannelVerb = defineVerb({
  name: "channels.delete",
  summary: "Delete a channel (its conversations and messages stay)",
  permission: "channels:manage",
  input: z.object({ channelId }),
  output: nothing,
  emits: ["channel.deleted"],
  run: (ctx, { channelId }) => deleteChannel(ctx, channelId),
});
