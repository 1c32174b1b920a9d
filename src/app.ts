import { except } from "hono/combine";
import { renderError } from "./http/errors";
import { requireAuth } from "./http/middleware/auth";
import { bodyGuard } from "./http/middleware/body-guard";
import { idempotency } from "./http/middleware/idempotency";
import { requestContext } from "./http/middleware/request-context";
import { createRouter } from "./http/router";
import { agentRoutes } from "./http/routes/agents";
import { aiRoutes } from "./http/routes/ai";
import { authRoutes } from "./http/routes/auth";
import { BENCH_PREFIX, benchRoutes } from "./http/routes/bench";
import { channelRoutes } from "./http/routes/channels";
import { contactRoutes } from "./http/routes/contacts";
import { conversationRoutes } from "./http/routes/conversations";
import { deadLetterRoutes } from "./http/routes/dead-letters";
import { docsRoutes } from "./http/routes/docs";
import { DOCUMENT_UPLOAD_PATH, documentRoutes } from "./http/routes/documents";
import { healthRoutes } from "./http/routes/health";
import { knowledgeRoutes } from "./http/routes/knowledge";
import { listRoutes } from "./http/routes/lists";
import { mediaRoutes, signedMediaRoutes } from "./http/routes/media";
import { memoryRoutes } from "./http/routes/memory";
import { noteRoutes } from "./http/routes/notes";
import { pipelineRoutes } from "./http/routes/pipelines";
import { realtimeRoutes } from "./http/routes/realtime";
import { tagRoutes } from "./http/routes/tags";
import { workspaceRoutes } from "./http/routes/workspace";
import { stripeWebhookRoutes } from "./http/webhooks/stripe";
import { wahaWebhookRoutes } from "./http/webhooks/waha";
import { AppError } from "./lib/errors";
import { mcpExecuteRoutes } from "./mcp/execute-routes";
import { MCP_BODY_LIMIT_BYTES, mcpStreamableRoutes } from "./mcp/streamable";
import { MAX_DOCUMENT_BYTES } from "./services/memory/deps";

export const API_BODY_LIMIT_BYTES = 1024 * 1024;
/** An outer bound only: each webhook route enforces its peer's own, smaller limit on the signed bytes. */
export const WEBHOOK_BODY_LIMIT_BYTES = 1024 * 1024;

export function createApp() {
  const app = createRouter();
  app.use("*", requestContext);
  // Before any route: body size, JSON depth and storable text on every surface, including ones added later.
  app.use(
    "*",
    bodyGuard(
      [
        // The form around the file adds headers and boundaries; the service checks the file's own size exactly.
        { prefix: DOCUMENT_UPLOAD_PATH, exact: true, maxBytes: MAX_DOCUMENT_BYTES + 64 * 1024, mode: "multipart" },
        { prefix: "/api/", maxBytes: API_BODY_LIMIT_BYTES, mode: "strict" },
        { prefix: "/v1/mcp/", maxBytes: MCP_BODY_LIMIT_BYTES, mode: "strict" },
        { prefix: "/mcp", maxBytes: MCP_BODY_LIMIT_BYTES, mode: "strict" },
        { prefix: "/webhooks/", maxBytes: WEBHOOK_BODY_LIMIT_BYTES, mode: "structure" },
      ],
      { maxBytes: API_BODY_LIMIT_BYTES, mode: "strict" },
    ),
  );
  // Everything under /api/v1 needs a principal, except obtaining one.
  const publicAuth = ["/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/auth/invitations/:token/accept"];
  app.use("/api/v1/*", except(publicAuth, requireAuth));
  app.use("/api/v1/*", except(publicAuth, idempotency));
  app.onError(renderError);
  app.notFound((c) => renderError(new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`), c));
  // The benchmark's floor (development only; outside it these paths are unknown routes). Not part of the typed App.
  app.route(BENCH_PREFIX, benchRoutes);

  const routes = app
    .route("/", healthRoutes)
    .route("/api/v1/auth", authRoutes)
    .route("/api/v1/contacts", contactRoutes)
    .route("/api/v1", tagRoutes)
    .route("/api/v1", noteRoutes)
    .route("/api/v1", listRoutes)
    .route("/api/v1", agentRoutes)
    .route("/api/v1", aiRoutes)
    .route("/api/v1", pipelineRoutes)
    .route("/api/v1", channelRoutes)
    .route("/api/v1", conversationRoutes)
    .route("/api/v1", workspaceRoutes)
    .route("/api/v1", realtimeRoutes)
    .route("/api/v1", deadLetterRoutes)
    .route("/api/v1", documentRoutes)
    .route("/api/v1", memoryRoutes)
    .route("/api/v1", mediaRoutes)
    .route("/", signedMediaRoutes)
    .route("/api/v1", knowledgeRoutes)
    .route("/", wahaWebhookRoutes)
    .route("/", stripeWebhookRoutes)
    .route("/", mcpExecuteRoutes)
    .route("/", mcpStreamableRoutes);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "A JWT access token from /api/v1/auth/login, or an API key (vtr_…)",
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "Ventros CRM API",
      version: c.var.config.BUILD_VERSION,
      description: "WhatsApp-first CRM. Errors share one shape: `{ error: { code, message, details?, requestId } }`.",
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.route("/", docsRoutes);
  return routes;
}

/** The app's type, for Hono's typed client: `hc<App>(baseUrl)`. */
export type App = ReturnType<typeof createApp>;
