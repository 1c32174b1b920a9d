import pg from "pg";
import { measure, printTable, type SuiteReport, serverTimingRoundTrips } from "./harness";
import type { BenchEnv } from "./index";

export const CONTACTS = 10_000;

/**
 * Issue #3: list-contacts latency with 10k contacts in the project (and 10k in a neighbouring tenant). Read against
 * the trivial-query floor (`select 1`) at the same concurrency.
 */
export async function benchContacts(env: BenchEnv): Promise<SuiteReport> {
  const client = new pg.Client({ connectionString: env.db.postgresUrl });
  await client.connect();
  for (const t of [env.tenant, env.neighbour]) {
    await client.query(
      `insert into contacts (id, tenant_id, project_id, name, phone, email, created_at, updated_at)
       select gen_random_uuid(), $1, $2, 'Contact ' || i, '5511' || lpad(i::text, 9, '0'), 'c' || i || '@example.test',
              now() - (i || ' seconds')::interval, now()
       from generate_series(1, $3) i`,
      [t.tenantId, t.projectId, CONTACTS],
    );
  }
  await client.query("analyze contacts");
  await client.end();

  const get = (path: string) => async () => {
    const res = await fetch(`${env.worker.url}${path}`, { headers: { authorization: `Bearer ${env.apiKey}` } });
    const body = (await res.json()) as { data?: unknown[] };
    return { ok: res.ok && Array.isArray(body.data), roundTrips: serverTimingRoundTrips(res) };
  };
  // A cursor deep into the list: keyset pagination must cost the same at page 1 and page 200.
  const deep = (await (
    await fetch(`${env.worker.url}/api/v1/contacts?limit=100&sort=name&order=asc&q=Contact%209`, {
      headers: { authorization: `Bearer ${env.apiKey}` },
    })
  ).json()) as { nextCursor: string };

  const opts = { requests: 200, concurrency: 1, proxy: env.db.proxy, floor: "select" as const };
  const results = [
    await measure("contacts: list, first page (25)", opts, get("/api/v1/contacts")),
    await measure("contacts: list, 100 per page", opts, get("/api/v1/contacts?limit=100")),
    await measure(
      "contacts: sorted by name, deep cursor",
      opts,
      get(`/api/v1/contacts?limit=25&sort=name&order=asc&cursor=${deep.nextCursor}`),
    ),
    await measure("contacts: search by name (q=Contact 42)", opts, get("/api/v1/contacts?q=Contact%2042")),
    await measure("contacts: search by phone digits", opts, get("/api/v1/contacts?q=000004242")),
    await measure("contacts: list, first page, 10 concurrent", { ...opts, concurrency: 10 }, get("/api/v1/contacts")),
  ];
  const title = `List contacts — ${CONTACTS.toLocaleString()} contacts per tenant, ${env.db.backend}, through wrangler dev + Neon driver`;
  printTable(title, results);
  return { suite: "contacts", title, results };
}
