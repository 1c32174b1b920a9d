import { createRoute, z } from "@hono/zod-openapi";
import { authorize } from "../../services/auth/permissions";
import { addChannel, ChannelInput, ChannelUpdateInput, deleteChannel, getChannel, listChannels, publicChannel, rotateWebhookSecret, updateChannel } from "../../services/channels";
import { authErrors, errors, IdParam, json, jsonBody, noContent, resource, security } from "../openapi";
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

const list = createRoute({ method: "get", path: "/channels", tags, security, summary: "List WhatsApp channels", responses: { 200: json(z.object({ data: z.array(Channel) }), "Channels"), ...authErrors() } });
const create = createRoute({ method: "post", path: "/channels", tags, security, summary: "Connect a WAHA session (the webhook secret is shown once)", request: { body: jsonBody(ChannelInput) }, responses: { 201: json(WithSecret, "Created"), ...authErrors(), ...errors(409) } });
const get = createRoute({ method: "get", path: "/channels/{id}", tags, security, summary: "Get a channel", request: { params: IdParam }, responses: { 200: json(Channel, "The channel"), ...authErrors() } });
const update = createRoute({ method: "patch", path: "/channels/{id}", tags, security, summary: "Update a channel", request: { params: IdParam, body: jsonBody(ChannelUpdateInput) }, responses: { 200: json(Channel, "Updated"), ...authErrors(), ...errors(409) } });
const rotate = createRoute({ method: "post", path: "/channels/{id}/rotate-webhook-secret", tags, security, summary: "Issue a new webhook HMAC secret (shown once)", request: { params: IdParam }, responses: { 200: json(WithSecret, "Rotated"), ...authErrors() } });
const remove = createRoute({ method: "delete", path: "/channels/{id}", tags, security, summary: "Delete a channel", request: { params: IdParam }, responses: { 204: noContent, ...authErrors() } });

export const channelRoutes = createRouter()
  .openapi(list, async (c) => {
    authorize(c.var.principal, "crm:read");
    const base = c.var.config.PUBLIC_BASE_URL;
    return c.json({ data: (await listChannels(c.var.svc)).map((ch) => publicChannel(ch, base)) }, 200);
  })
  .openapi(create, async (c) => {
    authorize(c.var.principal, "channels:manage");
    const row = await addChannel(c.var.svc, c.req.valid("json"));
    return c.json({ ...publicChannel(row, c.var.config.PUBLIC_BASE_URL), type: "waha" as const, webhookSecret: row.webhookSecret }, 201);
  })
  .openapi(get, async (c) => {
    authorize(c.var.principal, "crm:read");
    return c.json({ ...publicChannel(await getChannel(c.var.svc, c.req.valid("param").id), c.var.config.PUBLIC_BASE_URL), type: "waha" as const }, 200);
  })
  .openapi(update, async (c) => {
    authorize(c.var.principal, "channels:manage");
    return c.json({ ...publicChannel(await updateChannel(c.var.svc, c.req.valid("param").id, c.req.valid("json")), c.var.config.PUBLIC_BASE_URL), type: "waha" as const }, 200);
  })
  .openapi(rotate, async (c) => {
    authorize(c.var.principal, "channels:manage");
    const { channel, webhookSecret } = await rotateWebhookSecret(c.var.svc, c.req.valid("param").id);
    return c.json({ ...publicChannel(channel, c.var.config.PUBLIC_BASE_URL), type: "waha" as const, webhookSecret }, 200);
  })
  .openapi(remove, async (c) => {
    authorize(c.var.principal, "channels:manage");
    await deleteChannel(c.var.svc, c.req.valid("param").id);
    return c.body(null, 204);
  });
