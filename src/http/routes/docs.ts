import { Hono } from "hono";
import type { AppEnv } from "../context";

/**
 * The API reference page. Its scripts are the pinned standalone bundle and a small init file, both served from the
 * Worker's static assets (`public/docs/`, filled by scripts/docs-assets.ts): the page works without internet, and
 * the Content-Security-Policy lets nothing but this origin run, load or be called from it — people paste tokens here.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const page = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Ventros CRM API</title>
  </head>
  <body>
    <div id="app"></div>
    <script src="/docs/vendor/api-reference.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>`;

export const docsRoutes = new Hono<AppEnv>().get("/docs", (c) =>
  c.html(page, 200, { "Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" }),
);
