import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { createLogger } from "../../src/lib/logger";
import { toolListing } from "../../src/mcp/registry";
import { toSnake } from "../../src/mcp/snake-view";
import { tools } from "../../src/mcp/tools";
import { can } from "../../src/services/auth/permissions";
import type { Role } from "../../src/services/auth/principal";
import { createServiceContext } from "../../src/services/context";
import { recordDeadLetter } from "../../src/services/dead-letters";
import { inviteMember } from "../../src/services/members/invitations";
import { joinTransaction } from "../../src/services/shared/transaction";
import { callVerb, isMutation } from "../../src/services/verbs/define";
import { verbs, verbsByName } from "../../src/services/verbs/registry";
import { arrangeWorld, db, type World } from "../mcp/support";
import { api } from "../support/api";
import { createTenantFixture } from "../support/fixtures";
import { addMemberByInvitation, tokenFor } from "../support/invitations";
import { observePixPreference } from "../support/knowledge";
import { memoryContext, uploadFile } from "../support/memory";

/**
 * The contract of every verb, checked by walking the registry — a verb added tomorrow is covered without anyone
 * remembering it: mutations declare and write their events; REST and MCP, both generated from the verb, refuse the
 * same roles and the same inputs.
 */
const ROLES: Role[] = ["admin", "manager", "user", "readonly"];

interface RestOp {
  method: string;
  path: string;
  verb: string;
}

async function restOperations(): Promise<RestOp[]> {
  const doc = (await api("/openapi.json")).body;
  return Object.entries<any>(doc.paths).flatMap(([path, ops]) =>
    Object.entries<any>(ops).flatMap(([method, op]) => (op["x-verb"] ? [{ method: method.toUpperCase(), path, verb: op["x-verb"] }] : [])),
  );
}

/** Replaying a dead letter puts the original event back in the outbox: its topic is the replayed one, not the verb's. */
const REPUBLISHES: Record<string, string[]> = { "dead_letters.replay": ["contact.updated"] };

const adminContext = (w: World) => ({
  memory: memoryContext(db, { tenantId: w.t.tenant.id, projectId: w.t.project.id }).memory,
  ...createServiceContext(
    db,
    { tenantId: w.t.tenant.id, projectId: w.t.project.id, role: "admin", actor: { type: "user", id: w.t.user.id } },
    createLogger({ test: true }, "error"),
  ),
  signingSecret: env.JWT_SECRET,
});

/** An input for a read verb: its id fields filled from the world by name, everything else left to defaults. */
function readInput(verb: { input: z.ZodObject }, w: World): Record<string, unknown> {
  const ids: Record<string, unknown> = {
    contactId: w.contact.id,
    sessionId: w.sessionId,
    groupId: w.firstMessageId,
    listId: w.list.id,
    pipelineId: w.pipeline.id,
    agentId: w.agent.id,
    agentIds: [w.agent.id, w.human.id],
    channelId: w.channel.id,
    tagId: w.tag.id,
    documentId: w.document.id,
    query: "valor do contrato",
    entityId: w.entityId,
    entity: "R$ 12.500,00",
    executionId: w.executionId,
    messageId: w.firstMessageId,
  };
  const required = (z.toJSONSchema(verb.input, { io: "input", unrepresentable: "any" }) as { required?: string[] }).required ?? [];
  const input = Object.fromEntries(required.map((k) => [k, ids[k]]));
  // Optional filters: exercise the id-based ones too (a list verb's sessionId or contactId, for example).
  for (const k of Object.keys(verb.input.shape)) if (!(k in input) && k in ids && k !== "agentIds") input[k] = ids[k];
  if (verb.input.shape.agentIds && !input.agentIds) input.agentIds = ids.agentIds;
  return input;
}

const uniq = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 7)}`;

/** A happy-path input per mutating verb, arranged through the public API. A mutating verb missing here fails the suite. */
function mutationInputs(w: World): Record<string, () => Promise<Record<string, unknown>>> {
  const token = w.t.keys.admin;
  const post = async (path: string, body: unknown) => {
    const res = await api(path, { token, body });
    if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const contact = () => post("/api/v1/contacts", { name: `C ${uniq()}`, phone: `+55 11 9${Math.floor(1e7 + Math.random() * 8e7)}` });
  const pipeline = () => post("/api/v1/pipelines", { name: `P ${uniq()}`, stages: [{ name: "A" }, { name: "B" }] });
  const member = () => addMemberByInvitation(token, { email: `m-${uniq()}@example.test`, role: "user" });
  /** A current fact about a new contact, as the knowledge consumer would store it. */
  const fact = async () => {
    const c = await contact();
    const stored = await observePixPreference(adminContext(w), c.id, crypto.randomUUID());
    return stored!.factId!;
  };
  const session = async () => {
    const c = await contact();
    const sent = await post("/api/v1/messages", { contactId: c.id, channelId: w.channel.id, text: "olá" });
    return sent.sessionId as string;
  };
  return {
    "agents.create": async () => ({ kind: "ai", name: `Agent ${uniq()}` }),
    "ai_settings.update": async () => ({ quietWindowMs: 2000 }),
    "ai_settings.update_channel": async () => ({ channelId: w.channel.id, agentType: "Sales" }),
    "ai_settings.release_session": async () => ({ sessionId: await session() }),
    "agents.update": async () => ({ agentId: (await post("/api/v1/agents", { kind: "ai", name: "A" })).id, name: "Renamed" }),
    "agents.delete": async () => ({ agentId: (await post("/api/v1/agents", { kind: "ai", name: "A" })).id }),
    "api_keys.create": async () => ({ name: `key ${uniq()}`, role: "readonly" }),
    "api_keys.revoke": async () => ({ apiKeyId: (await post("/api/v1/api-keys", { name: "k", role: "readonly" })).id }),
    "channels.create": async () => ({ name: "WA", wahaSession: `s${uniq()}`, baseUrl: inject("wahaUrl") }),
    "channels.update": async () => ({ channelId: w.channel.id, name: `WA ${uniq()}` }),
    "channels.rotate_webhook_secret": async () => ({ channelId: (await w.t.channel()).id }),
    "channels.delete": async () => ({ channelId: (await w.t.channel()).id }),
    "contacts.create": async () => ({ name: `New ${uniq()}` }),
    "contacts.update": async () => ({ contactId: (await contact()).id, name: "Renamed" }),
    "contacts.delete": async () => ({ contactId: (await contact()).id }),
    "contacts.add_identifier": async () => ({ contactId: (await contact()).id, kind: "email", value: `${uniq()}@example.test` }),
    "contacts.remove_identifier": async () => {
      const c = await contact();
      const added = await post(`/api/v1/contacts/${c.id}/identifiers`, { kind: "email", value: `${uniq()}@example.test` });
      return { contactId: c.id, identifierId: added.id };
    },
    "contacts.assign": async () => ({ contactId: (await contact()).id, agentId: w.agent.id }),
    "dead_letters.replay": async () => {
      const outboxId = crypto.randomUUID();
      await recordDeadLetter(
        db,
        "ventros-events-dlq",
        {
          id: outboxId,
          topic: "contact.updated",
          tenantId: w.t.tenant.id,
          projectId: w.t.project.id,
          payload: { contactId: w.contact.id },
          createdAt: new Date().toISOString(),
        },
        6,
      );
      const [dead] = (await db.query.execute<{ id: string }>(sql`select id::text from dead_letters where outbox_id = ${outboxId}`)).rows;
      return { deadLetterId: dead!.id };
    },
    "leads.qualify": async () => ({ contactId: (await contact()).id, qualification: "warm", stageId: w.pipeline.stages[1].id }),
    "lists.create": async () => ({ name: `L ${uniq()}` }),
    "lists.update": async () => ({ listId: (await post("/api/v1/contact-lists", { name: "L" })).id, name: "L2" }),
    "lists.delete": async () => ({ listId: (await post("/api/v1/contact-lists", { name: "L" })).id }),
    "lists.add_members": async () => ({ listId: w.list.id, contactIds: [(await contact()).id] }),
    "lists.remove_member": async () => {
      const c = await contact();
      await post(`/api/v1/contact-lists/${w.list.id}/members`, { contactIds: [c.id] });
      return { listId: w.list.id, contactId: c.id };
    },
    "members.invite": async () => ({ email: `m-${uniq()}@example.test`, role: "user" }),
    // An invitation into another tenant's project, addressed to the world's admin user (the verb's caller).
    "invitations.accept": async () => {
      const other = await createTenantFixture(db);
      const invited = await inviteMember(other.ctx, { email: w.t.user.email, role: "readonly" });
      return { token: await tokenFor(invited.id) };
    },
    "members.update": async () => ({ memberId: (await member()).id, role: "manager" }),
    "members.remove": async () => ({ memberId: (await member()).id }),
    "messages.send": async () => ({ contactId: (await contact()).id, channelId: w.channel.id, text: "oi" }),
    "notes.create": async () => ({ contactId: w.contact.id, body: "nota" }),
    "documents.upload": async () => ({
      content: new TextEncoder().encode(`Proposta ${uniq()}`),
      filename: "p.txt",
      mimeType: "text/plain",
    }),
    "documents.delete": async () => {
      const up = await uploadFile(token, { bytes: `Manual ${uniq()}`, name: "m.txt", type: "text/plain" });
      return { documentId: up.body.id };
    },
    "memory.reembed": async () => ({ batchSize: 10 }),
    "facts.update": async () => ({ factId: await fact(), factValue: "boleto" }),
    "facts.delete": async () => ({ factId: await fact() }),
    "notes.update": async () => ({ noteId: (await post(`/api/v1/contacts/${w.contact.id}/notes`, { body: "n" })).id, body: "n2" }),
    "notes.delete": async () => ({ noteId: (await post(`/api/v1/contacts/${w.contact.id}/notes`, { body: "n" })).id }),
    "pipelines.create": async () => ({ name: `P ${uniq()}`, stages: [{ name: "A" }] }),
    "pipelines.update": async () => ({ pipelineId: (await pipeline()).id, name: "P2" }),
    "pipelines.archive": async () => ({ pipelineId: (await pipeline()).id }),
    "pipelines.add_stage": async () => ({ pipelineId: (await pipeline()).id, name: "C" }),
    "pipelines.update_stage": async () => {
      const p = await pipeline();
      return { pipelineId: p.id, stageId: p.stages[0].id, name: "A2" };
    },
    "pipelines.delete_stage": async () => {
      const p = await pipeline();
      return { pipelineId: p.id, stageId: p.stages[1].id };
    },
    "pipelines.reorder_stages": async () => {
      const p = await pipeline();
      return { pipelineId: p.id, stageIds: [p.stages[1].id, p.stages[0].id] };
    },
    "pipelines.move_contact": async () => ({ contactId: (await contact()).id, stageId: w.pipeline.stages[0].id }),
    "projects.create": async () => ({ name: "Second", slug: `p-${uniq()}` }),
    "projects.update_current": async () => ({ name: `Main ${uniq()}` }),
    "sessions.close": async () => ({ sessionId: await session() }),
    "tags.create": async () => ({ name: `T ${uniq()}` }),
    "tags.update": async () => ({ tagId: (await post("/api/v1/tags", { name: `T ${uniq()}` })).id, name: `T ${uniq()}` }),
    "tags.delete": async () => ({ tagId: (await post("/api/v1/tags", { name: `T ${uniq()}` })).id }),
    "tags.attach": async () => ({ contactId: (await contact()).id, tagName: `T ${uniq()}` }),
    "tags.detach": async () => {
      const c = await contact();
      await post(`/api/v1/contacts/${c.id}/tags`, { tagId: w.tag.id });
      return { contactId: c.id, tagId: w.tag.id };
    },
  };
}

/** A value that breaks a field's JSON Schema (wrong type, outside its choices, too long for a query string). */
function badValue(schema: any, inQuery: boolean): string | number | undefined {
  const s = schema?.anyOf?.find((b: any) => b.type !== "null") ?? schema;
  if (!s || Object.keys(s).length === 0) return undefined; // unknown: anything goes
  if (s.enum) return "not-a-choice";
  if (s.type === "string" && s.format === "uuid") return "not-a-uuid";
  // A query string carries only strings: a wrong type cannot be sent, a too-long one can.
  if (s.type === "string") return inQuery ? (s.maxLength ? "x".repeat(s.maxLength + 1) : undefined) : 12345;
  if (s.type === "number" || s.type === "integer") return "not-a-number";
  if (s.type === "boolean") return "not-a-boolean";
  if (s.type === "array" || s.type === "object") return "not-a-container";
  return undefined;
}

/** The REST request for a verb input, as verbRoute maps it: path parameters, then query (GET/DELETE) or body. */
function restCall(op: RestOp, input: Record<string, unknown>, token: string) {
  const used = new Set<string>();
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    used.add(name);
    return encodeURIComponent(String(input[name] ?? crypto.randomUUID()));
  });
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => !used.has(k)));
  if (op.method === "GET" || op.method === "DELETE") {
    const query = new URLSearchParams(Object.entries(rest).map(([k, v]) => [k, String(v)])).toString();
    return api(`${path}${query ? `?${query}` : ""}`, { method: op.method, token });
  }
  return api(path, { method: op.method, token, body: rest });
}

describe("the verb registry", () => {
  let w: World;
  let ops: RestOp[];
  beforeAll(async () => {
    [w, ops] = await Promise.all([arrangeWorld(), restOperations()]);
  });

  it("has unique names, and reads (no events) write nothing: each runs inside a READ ONLY transaction", async () => {
    expect(verbs.length).toBeGreaterThan(60);
    expect(new Set(verbs.map((v) => v.name)).size).toBe(verbs.length);
    for (const verb of verbs)
      for (const part of verb.composes ?? [])
        for (const topic of part.emits) expect(verb.emits, `${verb.name} composes ${part.name}, which writes ${topic}`).toContain(topic);
    const reads = verbs.filter((v) => !isMutation(v));
    expect(reads.length).toBeGreaterThan(25);
    for (const verb of reads) {
      const input = readInput(verb, w);
      await db
        .transaction(async (tx) => {
          await tx.execute(sql`set transaction read only`);
          const output = await callVerb(verb, { ...adminContext(w), db: joinTransaction(db, tx) }, input);
          verb.output.parse(output);
        })
        .catch((err) => {
          throw new Error(`${verb.name}(${JSON.stringify(input)}): ${err.message}`);
        });
    }
  });

  it("exposes every verb on REST or MCP, and every REST route under /api/v1 is a verb", async () => {
    const exposed = new Set([...ops.map((o) => o.verb), ...tools.map((t) => t.verb.name)]);
    expect(verbs.filter((v) => !exposed.has(v.name)).map((v) => v.name)).toEqual([]);
    for (const op of ops) expect(verbsByName.has(op.verb), op.verb).toBe(true);
    const doc = (await api("/openapi.json")).body;
    const notVerbs = Object.entries<any>(doc.paths).flatMap(([path, methods]) =>
      Object.entries<any>(methods)
        .filter(([, op]) => path.startsWith("/api/v1/") && !path.startsWith("/api/v1/auth/") && !op["x-verb"])
        .map(([m]) => `${m.toUpperCase()} ${path}`),
    );
    expect(notVerbs).toEqual([]);
  });

  it("every mutating verb writes at least one event, and only declared ones, in the outbox", async () => {
    const inputs = mutationInputs(w);
    const mutations = verbs.filter(isMutation);
    expect(
      mutations.filter((v) => !inputs[v.name]).map((v) => v.name),
      "mutating verbs without a happy-path input here",
    ).toEqual([]);
    for (const verb of mutations) {
      const ctx = adminContext(w);
      const output = await callVerb(verb, ctx, await inputs[verb.name]!()).catch((err) => {
        throw new Error(`${verb.name}: ${err.message}`);
      });
      const described = verb.output.safeParse(output);
      expect(described.success, `${verb.name} returned what its output schema does not describe: ${described.error?.message}`).toBe(true);
      const ids = ctx.outbox.takeWritten();
      const rows = ids.length
        ? (
            await db.query.execute<{ topic: string }>(
              sql`select topic from outbox where id in ${sql.raw(`(${ids.map((id) => `'${id}'`).join(",")})`)}`,
            )
          ).rows
        : [];
      expect(rows.length, `${verb.name} wrote no event`).toBeGreaterThan(0);
      for (const { topic } of rows)
        expect([...verb.emits, ...(REPUBLISHES[verb.name] ?? [])], `${verb.name} wrote ${topic}`).toContain(topic);
    }
  });

  it("REST and MCP refuse the same roles for every verb on both surfaces", async () => {
    let checked = 0;
    for (const tool of tools) {
      const op = ops.find((o) => o.verb === tool.verb.name);
      if (!op) continue;
      for (const role of ROLES) {
        const token = w.t.keys[role];
        const viaRest = await restCall(op, {}, token);
        const viaMcp = await api("/v1/mcp/execute", { token, body: { tool_name: tool.name, arguments: {} } });
        const allowed = can(role, tool.verb.permission);
        expect([viaRest.status === 403, viaMcp.status === 403], `${tool.name} as ${role}`).toEqual([!allowed, !allowed]);
      }
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it("REST and MCP refuse the same malformed field, naming it, for every verb on both surfaces", async () => {
    let checked = 0;
    for (const tool of tools) {
      const op = ops.find((o) => o.verb === tool.verb.name);
      if (!op) continue;
      const properties = (z.toJSONSchema(tool.verb.input, { io: "input", unrepresentable: "any" }) as any).properties ?? {};
      const argNames = toolListing(tool).inputSchema.properties as Record<string, unknown>;
      for (const [field, schema] of Object.entries<any>(properties)) {
        const bad = badValue(schema, op.method === "GET" || op.method === "DELETE");
        if (bad === undefined) continue;
        const arg =
          Object.keys(argNames).find((a) => a === toSnake(field)) ?? Object.keys(argNames).find((a) => tool.view.toArgPath(field) === a);
        const viaRest = await restCall(op, { [field]: bad }, w.t.keys.admin);
        const viaMcp = await api("/v1/mcp/execute", { token: w.t.keys.admin, body: { tool_name: tool.name, arguments: { [arg!]: bad } } });
        const label = `${tool.name}.${field} = ${JSON.stringify(bad)}`;
        expect([viaRest.status, viaMcp.status], label).toEqual([400, 400]);
        expect(
          viaRest.body.error.details.map((d: any) => d.path),
          label,
        ).toContain(field);
        expect(
          viaMcp.body.error.details.map((d: any) => d.path),
          label,
        ).toContain(arg);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it("the bypasses the copies allowed are closed on both surfaces", async () => {
    const addTag = tools.find((t) => t.name === "add_tag")!;
    const op = ops.find((o) => o.verb === addTag.verb.name)!;
    const tagName = `Nova ${uniq()}`;
    // A user may tag contacts, but not create tags — neither directly nor by naming a new one.
    const viaRest = await restCall(op, { contactId: w.other.id, tagName }, w.t.keys.user);
    const viaMcp = await api("/v1/mcp/execute", {
      token: w.t.keys.user,
      body: { tool_name: "add_tag", arguments: { contact_id: w.other.id, tag_name: tagName } },
    });
    expect([viaRest.status, viaMcp.status]).toEqual([403, 403]);
    const send = ops.find((o) => o.verb === "messages.send")!;
    const media = { url: "file:///etc/passwd", mimetype: "image/png" };
    const restMedia = await restCall(send, { contactId: w.contact.id, contentType: "image", media }, w.t.keys.admin);
    const mcpMedia = await api("/v1/mcp/execute", {
      token: w.t.keys.admin,
      body: { tool_name: "send_message", arguments: { contact_id: w.contact.id, content_type: "image", media } },
    });
    expect([restMedia.status, mcpMedia.status]).toEqual([400, 400]);
    expect(mcpMedia.body.error.details.map((d: any) => d.path)).toContain("media.url");
    const longEmail = `${"a".repeat(320)}@example.test`;
    const update = ops.find((o) => o.verb === "contacts.update")!;
    const restEmail = await restCall(update, { contactId: w.contact.id, email: longEmail }, w.t.keys.admin);
    const mcpEmail = await api("/v1/mcp/execute", {
      token: w.t.keys.admin,
      body: { tool_name: "update_contact", arguments: { contact_id: w.contact.id, email: longEmail } },
    });
    expect([restEmail.status, mcpEmail.status]).toEqual([400, 400]);
  });

  it("an update verb's input holds only the fields the caller sent: no create defaults fill the others in", () => {
    // A value each field accepts: its enum's first choice, an id, or the first of a few plain values that passes.
    const plain = ["Renamed", "#22c55e", "someone@example.test", "https://example.test/x", "+55 11 91234-5678", 1, 60, true, {}, [], null];
    const sample = (field: z.ZodType) => {
      const json = z.toJSONSchema(field, { io: "input", unrepresentable: "any" }) as any;
      const choices: unknown[] = json.enum ?? json.anyOf?.find((b: any) => b.enum)?.enum ?? [];
      const value = [...choices, crypto.randomUUID(), ...plain].find((v) => field.safeParse(v).success);
      if (value === undefined) throw new Error("no sample value for a field: extend the candidates");
      return value;
    };
    const updates = verbs.filter((v) => /\.update(_\w+)?$/.test(v.name));
    expect(updates.length).toBeGreaterThan(8);
    const problems: string[] = [];
    for (const verb of updates) {
      const shape = verb.input.shape as Record<string, z.ZodType>;
      const required = (z.toJSONSchema(verb.input, { io: "input", unrepresentable: "any" }) as { required?: string[] }).required ?? [];
      const ids = Object.fromEntries(required.map((k) => [k, sample(shape[k]!)]));
      for (const field of Object.keys(shape).filter((k) => !required.includes(k))) {
        const input = { ...ids, [field]: sample(shape[field]!) };
        const parsed = verb.input.safeParse(input);
        if (!parsed.success) problems.push(`${verb.name}(${JSON.stringify(input)}) does not parse: ${parsed.error.message}`);
        else {
          const added = Object.keys(parsed.data).filter((k) => !(k in input));
          if (added.length) problems.push(`${verb.name} given ${Object.keys(input).join(", ")} also sets ${added.join(", ")}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
