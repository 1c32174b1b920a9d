import { sql } from "drizzle-orm";
import { Hono } from "hono";
import { AppError } from "../../lib/errors";
import type { AppEnv } from "../context";

/** Where the app mounts {@link benchRoutes}. */
export const BENCH_PREFIX = "/__bench";

/**
 * The table the insert floor writes to. Not part of the schema or the migrations: `npm run bench` creates it in
 * its own throwaway database (see scripts/bench/floor.ts); elsewhere the insert route fails until it exists.
 */
export const BENCH_FLOOR_TABLE = "bench_floor";
export const BENCH_FLOOR_DDL = `create table if not exists ${BENCH_FLOOR_TABLE} (
  id uuid primary key default gen_random_uuid(),
  body text not null,
  created_at timestamptz not null default now()
)`;

/**
 * The stack's own floor, for `npm run bench`: the same Worker → request context → Neon driver → database path
 * every route takes, doing the least work possible — nothing (`noop`), `select 1` (one HTTP query) and a
 * single-row insert (one HTTP query). Scenarios are read as ratios to these, measured in the same run.
 *
 * Only in `ENVIRONMENT=development` (wrangler dev): everywhere else, production and tests included, every path
 * here answers exactly like an unknown route (404 `not_found`). Not in the OpenAPI document; no authentication.
 */
export const benchRoutes = new Hono<AppEnv>()
  .use("*", async (c, next) => {
    if (c.var.config.ENVIRONMENT !== "development") throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}`);
    await next();
  })
  .get("/noop", (c) => c.json({ ok: true }))
  .get("/select", async (c) => {
    const { rows } = await c.var.db.query.execute<{ one: number }>(sql`select 1 as one`);
    return c.json({ ok: rows[0]?.one === 1 });
  })
  .post("/insert", async (c) => {
    const { rows } = await c.var.db.query.execute<{ id: string }>(
      sql`insert into ${sql.identifier(BENCH_FLOOR_TABLE)} (body) values (${"floor"}) returning id`,
    );
    return c.json({ ok: rows.length === 1, id: rows[0]?.id });
  });
