declare namespace Cloudflare {
  interface Env {
    NEON_WS_PROXY: string;
    NEON_HTTP_ENDPOINT: string;
    PROXY_STATS_URL: string;
    STRIPE_WEBHOOK_SECRET: string;
  }
}
