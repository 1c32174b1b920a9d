import { describe, expect, it } from "vitest";
import { api } from "../support/api";

describe("/docs", () => {
  it("serves the reference page with a CSP that allows only this origin, loading its scripts from our assets", async () => {
    const res = await api("/docs");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/https?:|unsafe-eval/);
    const scripts = [...String(res.body).matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts).toEqual(["/docs/vendor/api-reference.js", "/docs/init.js"]);
    expect(String(res.body)).not.toMatch(/<script>[^<]/); // no inline script
  });
});
