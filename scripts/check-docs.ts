/**
 * `npm run check:docs` — /docs must render the API reference with no network but the Worker's own origin: starts
 * the dev stack, opens /docs in headless Chromium with every other host blocked, and fails on a blocked request, a
 * Content-Security-Policy violation, or operations that do not render. Chromium: CHROMIUM_PATH or /usr/bin/chromium.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { waitForHealth } from "./local-worker";
import "./docs-assets"; // the page's vendor bundle, as `npm run dev` would copy it

const port = Number(process.env.PORT ?? 8792);
const origin = `http://127.0.0.1:${port}`;
const dataDir = mkdtempSync(path.join(tmpdir(), "ventros-docs-"));
const dev: ChildProcess = spawn("npx", ["tsx", "scripts/dev.ts"], {
  cwd: path.resolve(import.meta.dirname, ".."),
  env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "warn" } as unknown as NodeJS.ProcessEnv,
  stdio: "ignore",
  detached: true,
});

const problems: string[] = [];
try {
  await waitForHealth(origin, undefined, 90_000);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage();
    await page.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`) || url.startsWith("data:") || url.startsWith("blob:")) return route.continue();
      problems.push(`blocked request to ${url}`);
      return route.abort();
    });
    page.on("console", (msg) => {
      if (/Content.Security.Policy|Refused to/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    const res = await page.goto(`${origin}/docs`);
    if (!res?.headers()["content-security-policy"]?.includes("script-src 'self'")) problems.push("/docs has no strict CSP");
    // Operations are listed by their summaries (from the verbs) inside groups named after the tags.
    const expected: [group: string, summary: string][] = [
      ["Contacts", "List contacts"],
      ["Messages", "Send a WhatsApp message"],
    ];
    for (const [group, summary] of expected) {
      await page.getByRole("button", { name: `Open Group - ${group}` }).click({ timeout: 30_000 });
      await page.getByText(summary, { exact: false }).first().waitFor({ timeout: 30_000 });
    }
    await page.screenshot({ path: path.join(tmpdir(), "ventros-docs.png") });
  } finally {
    await browser.close();
  }
} catch (err) {
  problems.push(String(err));
} finally {
  try {
    process.kill(-dev.pid!, "SIGINT");
  } catch {}
  rmSync(dataDir, { recursive: true, force: true });
}

if (problems.length) {
  console.error(`/docs check failed:\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("/docs rendered the operations offline, with no CSP violation and no request off the Worker's origin");
