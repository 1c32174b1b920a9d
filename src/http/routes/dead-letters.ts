import { listDeadLettersVerb, replayDeadLetterVerb } from "../../services/dead-letters/verbs";
import { createRouter } from "../router";
import { verbRoute } from "../verb-route";

const tags = ["Operations"];

export const deadLetterRoutes = createRouter()
  .openapi(...verbRoute(listDeadLettersVerb, { method: "get", path: "/dead-letters", tags }))
  .openapi(...verbRoute(replayDeadLetterVerb, { method: "post", path: "/dead-letters/{deadLetterId}/replay", tags }));
