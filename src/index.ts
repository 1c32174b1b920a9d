import { createApp } from "./app";
import { runScheduled } from "./jobs/scheduled";
import type { OutboxMessage } from "./outbox/events";
import { consumeBatch } from "./queue/consumer";

export { RateLimiter } from "./limits/rate-limiter";
export { ProjectFeed } from "./realtime/project-feed";
export { SessionRoom } from "./realtime/session-room";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => consumeBatch(batch, env, ctx),
  scheduled: async (_controller, env, ctx) => {
    await runScheduled(env, ctx);
  },
} satisfies ExportedHandler<Env, OutboxMessage>;
