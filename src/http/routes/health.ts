import { createRoute, z } from "@hono/zod-openapi";
import { checkHealth } from "../../services/system/health";
import { createRouter } from "../router";

const HealthSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.object({
      reachable: z.boolean(),
      latencyMs: z.number().optional(),
      error: z.string().optional(),
      migrations: z
        .object({ applied: z.number(), expected: z.number(), latest: z.string().nullable(), pending: z.array(z.string()) })
        .optional(),
    }),
    build: z.object({ version: z.string(), commit: z.string(), environment: z.string() }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  tags: ["System"],
  summary: "Liveness, database reachability and migration state",
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthSchema } } },
    503: { description: "Database unreachable or migrations pending", content: { "application/json": { schema: HealthSchema } } },
  },
});

export const healthRoutes = createRouter().openapi(route, async (c) => {
  const { BUILD_VERSION, BUILD_COMMIT, ENVIRONMENT } = c.var.config;
  const report = await checkHealth(c.var.db, { version: BUILD_VERSION, commit: BUILD_COMMIT, environment: ENVIRONMENT });
  return c.json(report, report.status === "ok" ? 200 : 503);
});
