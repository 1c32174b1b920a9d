import { createRoute, z } from "@hono/zod-openapi";
import { DATABASE_RETRY_AFTER_SECONDS } from "../../db/client";
import { checkHealth } from "../../services/system/health";
import { createRouter } from "../router";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "unavailable"]).openapi({
      description: "`ok`; `degraded`: the database answers, slowly; `unavailable`: requests needing the database fail",
    }),
    database: z.enum(["up", "down", "slow"]).openapi({
      description: "`up`; `slow`: answered late or not within the timeout; `down`: unreachable",
    }),
    latencyMs: z.number().optional(),
    migrations: z
      .object({ applied: z.number(), expected: z.number(), latest: z.string().nullable(), pending: z.array(z.string()) })
      .optional(),
    build: z.object({ version: z.string(), commit: z.string(), environment: z.string() }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["System"],
  summary: "Liveness, database state and migration state",
  responses: {
    200: { description: "Serving (possibly degraded)", content: { "application/json": { schema: HealthSchema } } },
    503: {
      description: "Database down or not answering in time, or migrations pending (with Retry-After)",
      content: { "application/json": { schema: HealthSchema } },
    },
  },
});

export const healthRoutes = createRouter().openapi(route, async (c) => {
  const { BUILD_VERSION, BUILD_COMMIT, ENVIRONMENT, DATABASE_TIMEOUT_MS } = c.var.config;
  const build = { version: BUILD_VERSION, commit: BUILD_COMMIT, environment: ENVIRONMENT };
  const report = await checkHealth(c.var.db, build, { timeoutMs: DATABASE_TIMEOUT_MS });
  if (report.status === "unavailable") {
    c.header("Retry-After", String(DATABASE_RETRY_AFTER_SECONDS));
    return c.json(report, 503);
  }
  return c.json(report, 200);
});
