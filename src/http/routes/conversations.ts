import { listMessagesVerb, sendMessageVerb } from "../../services/messages/verbs";
import { closeSessionVerb, getSessionVerb, listSessionsVerb } from "../../services/sessions/verbs";
import { contactTimelineVerb } from "../../services/timeline/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

export const conversationRoutes = createRouter()
  .openapi(...verbRoute(listSessionsVerb, { method: "get", path: "/sessions", tags: ["Sessions"] }))
  .openapi(...verbRoute(getSessionVerb, { method: "get", path: "/sessions/{sessionId}", tags: ["Sessions"] }))
  .openapi(
    ...verbRoute(closeSessionVerb, {
      method: "post",
      path: "/sessions/{sessionId}/close",
      tags: ["Sessions"],
      errors: [409],
      optionalBody: true,
    }),
  )
  .openapi(...verbRoute(listMessagesVerb, { method: "get", path: "/messages", tags: ["Messages"] }))
  // 202: the message is queued; the queue consumer sends it through WAHA.
  .openapi(...verbRoute(sendMessageVerb, { method: "post", path: "/messages", status: 202, tags: ["Messages"], errors: [422] }))
  .openapi(...verbRoute(contactTimelineVerb, { method: "get", path: "/contacts/{contactId}/timeline", tags: ["Contacts"] }));
