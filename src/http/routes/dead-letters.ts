import { z } from "@hono/zod-openapi";
import { DeadLetterQuery, listDeadLetters, replayDeadLetter } from "../../services/dead-letters";
import { authedRoute, authErrors, IdParam, json, page, resource } from "../openapi";
import { createRouter } from "../router";

const DeadLetter = resource("DeadLetter", {
  outboxId: z.string(),
  topic: z.string(),
  queue: z.string(),
  attempts: z.number(),
  replayedAt: z.string().nullable(),
  replayCount: z.number(),
});
const tags = ["Operations"];

const list = authedRoute("ops:manage", {
  method: "get", path: "/dead-letters", tags, summary: "Events whose consumers failed every retry (dead-letter queue)",
  request: { query: DeadLetterQuery },
  responses: { 200: json(page(DeadLetter, "DeadLetterPage"), "Dead letters"), ...authErrors() },
});
const replay = authedRoute("ops:manage", {
  method: "post", path: "/dead-letters/{id}/replay", tags, summary: "Send a dead-lettered event back to its consumers",
  request: { params: IdParam },
  responses: { 200: json(DeadLetter, "Re-queued"), ...authErrors() },
});

export const deadLetterRoutes = createRouter()
  .openapi(list, async (c) => c.json(await listDeadLetters(c.var.svc, c.req.valid("query")), 200))
  .openapi(replay, async (c) => c.json(await replayDeadLetter(c.var.svc, c.req.valid("param").id, c.env.EVENTS), 200));
