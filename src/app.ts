import { AppError } from "./lib/errors";
import { renderError } from "./http/errors";
import { requestContext } from "./http/middleware/request-context";
import { createRouter } from "./http/router";
import { healthRoutes } from "./http/routes/health";

export function createApp() {
  const app = createRouter();
  app.use("*", requestContext);
  app.onError(renderError);
  app.notFound((c) => renderError(new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`), c));

  const routes = app.route("/", healthRoutes);
  return routes;
}

export type App = ReturnType<typeof createApp>;
