import { z } from "@hono/zod-openapi";
import { addChannel, ChannelInput, ChannelUpdateInput, deleteChannel, getChannel, listChannels, publicChannel, rotateWebhookSecret, updateChannel } from "../../services/channels";
import { authedRoute, authErrors, errors, IdParam, json, jsonBody, noContent, resource } from "../openapi";
import { createRouter } from "../router";

const Channel = resource("Channel", {
  name: z.string(),
  type: z.literal("waha"),
  wahaSession: z.string(),
  baseUrl: z.string(),
  status: z.string(),
  hasApiKey: z.boolean(),
  hasWebhookSecret: z.boolean(),
  webhookPath: z.string(),
  webhookUrl: z.string().optional(),
});
const WithSecret = Channel.extend({ webhookSecret: z.string().nullable() }).openapi("ChannelWithSecret");
const tags = ["Channels"];

const list = authedRoute("crm:read", { method: "get", path: "/channels", tags, summary: "List WhatsApp channels", responses: { 200: json(z.object({ data: z.array(Channel) }), "Channels"), ...authErrors() } });
const create = authedRoute("channels:manage", { method: "post", path: "/channels", tags, summary: "Connect a WAHA session (the webhook secret is shown once)", request: { body: jsonBody(ChannelInput) }, responses: { 201: json(WithSecret, "Created"), ...authErrors(), ...errors(409) } });
const get = authedRoute("crm:read", { method: "get", path: "/channels/{id}", tags, summary: "Get a channel", request: { params: IdParam }, responses: { 200: json(Channel, "The channel"), ...authErrors() } });
const update = authedRoute("channels:manage", { method: "patch", path: "/channels/{id}", tags, summary: "Update a channel", request: { params: IdParam, body: jsonBody(ChannelUpdateInput) }, responses: { 200: json(Channel, "Updated"), ...authErrors(), ...errors(409) } });
const rotate = authedRoute("channels:manage", { method: "post", path: "/channels/{id}/rotate-webhook-secret", tags, summary: "Issue a new webhook HMAC secret (shown once)", request: { params: IdParam }, responses: { 200: json(WithSecret, "Rotated"), ...authErrors() } });
const remove = authedRoute("channels:manage", { method: "delete", path: "/channels/{id}", tags, summary: "Delete a channel", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });

export const channelRoutes = createRouter()
  .openapi(list, async (c) => {
    const base = c.var.config.PUBLIC_BASE_URL;
    return c.json({ data: (await listChannels(c.var.svc)).map((ch) => publicChannel(ch, base)) }, 200);
  })
  .openapi(create, async (c) => {
    const row = await addChannel(c.var.svc, c.req.valid("json"));
    return c.json({ ...publicChannel(row, c.var.config.PUBLIC_BASE_URL), type: "waha" as const, webhookSecret: row.webhookSecret }, 201);
  })
  .openapi(get, async (c) => {
    return c.json({ ...publicChannel(await getChannel(c.var.svc, c.req.valid("param").id), c.var.config.PUBLIC_BASE_URL), type: "waha" as const }, 200);
  })
  .openapi(update, async (c) => {
    return c.json({ ...publicChannel(await updateChannel(c.var.svc, c.req.valid("param").id, c.req.valid("json")), c.var.config.PUBLIC_BASE_URL), type: "waha" as const }, 200);
  })
  .openapi(rotate, async (c) => {
    const { channel, webhookSecret } = await rotateWebhookSecret(c.var.svc, c.req.valid("param").id);
    return c.json({ ...publicChannel(channel, c.var.config.PUBLIC_BASE_URL), type: "waha" as const, webhookSecret }, 200);
  })
  .openapi(remove, async (c) => {
    await deleteChannel(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  });
