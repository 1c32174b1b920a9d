// Served as a static asset with the page's strict Content-Security-Policy (no inline scripts).
Scalar.createApiReference("#app", {
  url: "/openapi.json",
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
});
