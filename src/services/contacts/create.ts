import { schema } from "../../db";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";
import { actorValues, scopeValues } from "../shared/scope";
import { assertAgentInScope } from "./access";
import { type ContactCreateInput, normalizePhone } from "./schemas";

/** Contact + identifiers + timeline row + outbox event: one transaction, one round trip. */
export async function createContact(ctx: ServiceContext, input: ContactCreateInput) {
  await assertAgentInScope(ctx, input.assignedAgentId);
  const { identifiers, ...fields } = input;
  const id = uuidv7();
  const scope = scopeValues(ctx.principal);
  const phone = fields.phone ? normalizePhone(fields.phone) : null;
  const allIdentifiers = dedupeIdentifiers([
    ...identifiers.map((i) => ({ kind: i.kind, value: i.kind === "phone" ? normalizePhone(i.value) : i.value })),
    ...(phone ? [{ kind: "phone" as const, value: phone }] : []),
  ]);
  const [[contact]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.contacts)
      .values({ id, ...scope, ...fields, phone })
      .returning(),
    ...allIdentifiers.map((i) => ctx.db.query.insert(schema.contactIdentifiers).values({ ...scope, contactId: id, ...i })),
    ctx.db.query.insert(schema.contactEvents).values({
      ...scope,
      contactId: id,
      type: "contact.created",
      title: "Contact created",
      payload: { source: fields.source ?? null },
      ...actorValues(ctx.principal),
    }),
    ctx.db.query.insert(schema.outbox).values(ctx.outbox.event("contact.created", { contactId: id, name: fields.name ?? null })),
  ] as const);
  return { ...contact!, identifiers: allIdentifiers };
}

function dedupeIdentifiers<T extends { kind: string; value: string }>(list: T[]): T[] {
  const seen = new Set<string>();
  return list.filter((i) => {
    const key = `${i.kind}:${i.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
