import {
  createChannelVerb,
  deleteChannelVerb,
  getChannelVerb,
  listChannelsVerb,
  rotateWebhookSecretVerb,
  updateChannelVerb,
} from "../../services/channels/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Channels"];

export const channelRoutes = createRouter()
  .openapi(...verbRoute(listChannelsVerb, { method: "get", path: "/channels", tags }))
  .openapi(...verbRoute(createChannelVerb, { method: "post", path: "/channels", status: 201, tags, errors: [409] }))
  .openapi(...verbRoute(getChannelVerb, { method: "get", path: "/channels/{channelId}", tags }))
  .openapi(...verbRoute(updateChannelVerb, { method: "patch", path: "/channels/{channelId}", tags, errors: [409] }))
  .openapi(...verbRoute(rotateWebhookSecretVerb, { method: "post", path: "/channels/{channelId}/rotate-webhook-secret", tags }))
  .openapi(...verbRoute(deleteChannelVerb, { method: "delete", path: "/channels/{channelId}", status: 204, tags }));
