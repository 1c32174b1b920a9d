import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// PGlite serves one query at a time from one backend session; test files run one after another against it.
// A real PostgreSQL (LOCAL_POSTGRES_URL, as in CI) takes them in parallel.
const embedded = !process.env.LOCAL_POSTGRES_URL;
const JWT_SECRET = "test-secret-test-secret-test-secret-0123456789";
// wrangler checks `[secrets] required` against process.env; the real values arrive as bindings below, once the
// globalSetup has started the database.
process.env.DATABASE_URL ??= "postgres://provided-by-global-setup@127.0.0.1/unused";
process.env.JWT_SECRET ??= JWT_SECRET;

export default defineConfig({
  plugins: [
    cloudflareTest(({ inject }) => ({
      wrangler: { configPath: "./wrangler.toml" },
      // The AI binding (wrangler.toml) is remote-only; without this the pool opens a remote session, which needs a
      // Cloudflare login. Off, the binding exists but throws when called, and tests use the offline embedder.
      remoteBindings: false,
      miniflare: {
        bindings: {
          ...inject("workerVars"),
          PROXY_STATS_URL: `http://127.0.0.1:${inject("proxyPort")}/__stats`,
          ENVIRONMENT: "test",
          LOG_LEVEL: "error",
          JWT_SECRET,
          STRIPE_WEBHOOK_SECRET: "whsec_test_0123456789abcdef",
          // A WAHA call that hangs (the sandbox's accept-hang fault) is given up quickly; the sandbox answers in ms.
          WAHA_TIMEOUT_MS: "2000",
          // Production embeds with Workers AI ([vars]); tests have no Cloudflare account (model peer: test/global-setup.ts).
          EMBEDDING_PROVIDER: "offline",
          RERANK_PROVIDER: "none",
          // Production transcribes and describes media with Workers AI ([vars]); offline they are "no provider configured".
          TRANSCRIPTION_PROVIDER: "none",
          VISION_PROVIDER: "none",
          // The reference agent service (test/global-setup.ts). AI answers only in projects whose AI settings enable it.
          AGENT_SERVICE_URL: inject("agentServiceUrl"),
          AGENT_SERVICE_TOKEN: inject("agentServiceToken"),
          // Suites make hundreds of calls per key; the limiter's own test moves its tenant to the tiny plan.
          RATE_LIMITS: JSON.stringify({
            free: { key: 1_000_000, tenant: 1_000_000 },
            test_tiny: { key: 3, tenant: 5, windowSeconds: 3600 },
          }),
        },
      },
    })),
  ],
  test: {
    globalSetup: ["./test/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    fileParallelism: !embedded,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
