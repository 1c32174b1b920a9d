import { createApp } from "./app";
import type { OutboxMessage } from "./outbox/events";
import { sweepOutbox } from "./outbox/sweep";
import { consumeBatch } from "./queue/consumer";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: (batch, env, ctx) => consumeBatch(batch, env, ctx),
  scheduled: async (_controller, env, ctx) => {
    await sweepOutbox(env, ctx);
  },
} satisfies ExportedHandler<Env, OutboxMessage>;
