import { env, exports } from "cloudflare:workers";
import { memoryFor } from "../../src/bindings/memory";
import type { Database } from "../../src/db";
import { parseConfig } from "../../src/env";
import { createLogger } from "../../src/lib/logger";
import type { Role } from "../../src/services/auth/principal";
import { createServiceContext, type ServiceContext } from "../../src/services/context";
import { processDocument } from "../../src/services/memory/documents/service";

/** A service context of the tenant's project with the memory service wired as the Worker wires it. */
export function memoryContext(db: Database, scope: { tenantId: string; projectId: string }, role: Role = "admin"): ServiceContext {
  return {
    ...createServiceContext(db, { ...scope, role, actor: { type: "system", id: "test" } }, createLogger({ test: true }, "error")),
    memory: memoryFor(parseConfig(env), env),
  };
}

/** POST /api/v1/documents as a browser form would send it. */
export async function uploadFile(
  token: string,
  file: { bytes: Uint8Array | string; name: string; type: string },
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  const bytes = typeof file.bytes === "string" ? new TextEncoder().encode(file.bytes) : file.bytes;
  form.set("file", new File([bytes], file.name, { type: file.type }));
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  const res = await exports.default.fetch("http://crm.test/api/v1/documents", {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/**
 * Uploads through the API and runs the processing the queue would run (the service itself, awaited here, so the
 * test never waits on the live queue; a concurrent live run converges on the same chunks).
 */
export async function uploadAndProcess(
  db: Database,
  t: { tenant: { id: string }; project: { id: string }; keys: { admin: string } },
  file: { bytes: Uint8Array | string; name: string; type: string },
  fields: Record<string, string> = {},
) {
  const up = await uploadFile(t.keys.admin, file, fields);
  if (up.status !== 202 && up.status !== 200) throw new Error(`upload: ${up.status} ${JSON.stringify(up.body)}`);
  await processDocument(memoryContext(db, { tenantId: t.tenant.id, projectId: t.project.id }), up.body.id);
  return up.body as { id: string; duplicate: boolean };
}
