import { and, asc, desc, eq, isNull, sql } from "drizzle-orm";
import { schema } from "../../../db";
import { AppError } from "../../../lib/errors";
import { uuidv7 } from "../../../lib/ids";
import { assertCanWorkContact, loadContact } from "../../contacts/access";
import type { ServiceContext } from "../../context";
import { actorValues, inScope, scopeValues } from "../../shared/scope";
import { withTransaction } from "../../shared/transaction";
import { FACT_KEYS, type FactKey, normaliseFactValue } from "../extraction/fact-keys";
import type { ExtractedFact, FactType } from "../extraction/types";
import { MAX_SOURCE_IDS, reinforce } from "./evidence";

const f = schema.memoryFacts;
export type FactRow = typeof f.$inferSelect;

/**
 * Facts about contacts, with their history. One *current* fact per (tenant, contact, fact_key) — the partial unique
 * index `memory_facts_current_uq` holds it even under concurrency. Consolidation of an observation from a source
 * (a message):
 *
 * - same value as the current fact: `source_count` + 1, `confidence` reinforced (evidence.ts: c' = c + (1 − c) × o),
 *   `last_observed_at` moves forward, the source appended to `source_ids` (the last MAX_SOURCE_IDS);
 * - a different value: the current row is invalidated (`invalidated_at`, reason "contradicted", `superseded_by_id`,
 *   `contradicting_source_id`) and the new value becomes current with the observation's confidence — one transaction;
 * - a source that already contributed to this key (a redelivered or re-run extraction) changes nothing, except that a
 *   current fact resting only on that very source follows it when it is edited (the message now says otherwise).
 */

export interface Observation {
  /** Where it was seen (a message id). */
  sourceId: string;
  observedAt: Date;
  extractor: string;
}

type Outcome = "created" | "reinforced" | "superseded" | "unchanged";

/** Per key, the statement the observation holds (the most confident one if a text states a key twice). */
function byKey(facts: ExtractedFact[]): ExtractedFact[] {
  const out = new Map<string, ExtractedFact>();
  for (const fact of facts) {
    if (!(fact.factKey in FACT_KEYS) || !fact.factValue) continue;
    const prev = out.get(fact.factKey);
    if (!prev || fact.confidence >= prev.confidence) out.set(fact.factKey, fact);
  }
  return [...out.values()];
}

/** Consolidates a source's facts about a contact in one transaction; returns what happened to each key. */
export async function observeFacts(ctx: ServiceContext, contactId: string, facts: ExtractedFact[], obs: Observation) {
  const todo = byKey(facts);
  if (!todo.length) return [];
  return withTransaction(ctx, async (tx) => {
    const results: { factKey: string; outcome: Outcome; factId: string | null }[] = [];
    for (const fact of todo) results.push({ factKey: fact.factKey, ...(await consolidate(tx, contactId, fact, obs)) });
    return results;
  });
}

/** Tries again when a concurrent transaction made the first current fact of the key between our read and our insert. */
const ATTEMPTS = 4;

async function consolidate(
  tx: ServiceContext,
  contactId: string,
  fact: ExtractedFact,
  obs: Observation,
): Promise<{ outcome: Outcome; factId: string | null }> {
  const where = inScope(f, tx.principal, eq(f.contactId, contactId), eq(f.factKey, fact.factKey));
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const [current] = await tx.db.query
      .select()
      .from(f)
      .where(and(where, isNull(f.invalidatedAt)))
      .for("update");
    // A source that already contributed to this key — to the current row or to any row of its history — changes
    // nothing (a replayed old message must not strengthen a later fact). The exception is an edited message that is
    // the current fact's only source: its new text may change the value.
    const editedSource = current?.origin === "extracted" && current.sourceIds.length === 1 && current.sourceIds[0] === obs.sourceId;
    if (!editedSource || current?.factValue === fact.factValue) {
      const [seen] = await tx.db.query
        .select({ id: f.id })
        .from(f)
        .where(and(where, sql`(${obs.sourceId}::uuid = any(${f.sourceIds}) or ${f.contradictingSourceId} = ${obs.sourceId}::uuid)`))
        .limit(1);
      if (seen) return { outcome: "unchanged", factId: current?.id ?? null };
    }
    if (current && current.factValue === fact.factValue) {
      await tx.db.query
        .update(f)
        .set({
          sourceCount: sql`${f.sourceCount} + 1`,
          confidence: reinforce(current.confidence, fact.confidence),
          lastObservedAt: sql`greatest(${f.lastObservedAt}, ${obs.observedAt.toISOString()}::timestamptz)`,
          sourceIds: [...current.sourceIds, obs.sourceId].slice(-MAX_SOURCE_IDS),
          updatedAt: new Date(),
        })
        .where(eq(f.id, current.id));
      return { outcome: "reinforced", factId: current.id };
    }
    // Observations are processed in any order (queue retries): an observation older than the current fact does not
    // supersede it — what the customer said last stands, and a person's correction is never undone by a late message.
    if (current && !editedSource && obs.observedAt.getTime() < current.lastObservedAt.getTime()) {
      return { outcome: "unchanged", factId: current.id };
    }
    const id = uuidv7();
    if (current) {
      await tx.db.query
        .update(f)
        .set({
          invalidatedAt: new Date(),
          invalidatedReason: "contradicted",
          supersededById: id,
          contradictingSourceId: obs.sourceId,
          updatedAt: new Date(),
        })
        .where(eq(f.id, current.id));
    }
    const [inserted] = await tx.db.query
      .insert(f)
      .values({
        id,
        ...scopeValues(tx.principal),
        contactId,
        factType: fact.factType,
        factText: fact.factText.slice(0, 2000),
        factKey: fact.factKey,
        factValue: fact.factValue,
        confidence: Math.min(1, Math.max(0, fact.confidence)),
        sourceCount: 1,
        sourceIds: [obs.sourceId],
        origin: "extracted",
        extractor: obs.extractor,
        lastObservedAt: obs.observedAt,
        validFrom: obs.observedAt,
      })
      .onConflictDoNothing({ target: [f.tenantId, f.contactId, f.factKey], where: sql`invalidated_at is null` })
      .returning({ id: f.id });
    if (!inserted) continue; // a concurrent first observation won: read it and consolidate with it
    const event = current
      ? tx.outbox.event("fact.superseded", {
          factId: current.id,
          supersededById: id,
          contactId,
          factKey: fact.factKey,
          reason: "contradicted",
        })
      : tx.outbox.event("fact.created", { factId: id, contactId, factKey: fact.factKey });
    await tx.db.query.insert(schema.outbox).values(event);
    return { outcome: current ? "superseded" : "created", factId: id };
  }
  throw new AppError("conflict", "The fact changed concurrently too often; retry", { factKey: fact.factKey });
}

/** A contact's facts: the current ones, or with `includeHistory` every version (current first, then newest first). */
export async function listContactFacts(
  ctx: ServiceContext,
  contactId: string,
  q: { factType?: FactType; includeHistory?: boolean; limit: number },
) {
  await loadContact(ctx, contactId);
  const rows = await ctx.db.query
    .select()
    .from(f)
    .where(
      inScope(
        f,
        ctx.principal,
        eq(f.contactId, contactId),
        q.factType ? eq(f.factType, q.factType) : undefined,
        q.includeHistory ? undefined : isNull(f.invalidatedAt),
      ),
    )
    .orderBy(sql`(${f.invalidatedAt} is null) desc`, asc(f.factKey), desc(f.validFrom), desc(f.id))
    .limit(q.limit);
  return rows;
}

/** A current fact of the caller's project, locked for the change, with its contact (which the caller must be able to work). */
async function lockCurrentFact(tx: ServiceContext, factId: string) {
  const [fact] = await tx.db.query
    .select()
    .from(f)
    .where(inScope(f, tx.principal, eq(f.id, factId)))
    .for("update");
  if (!fact) throw AppError.notFound("Fact", factId);
  const contact = await loadContact(tx, fact.contactId).catch(() => {
    throw AppError.notFound("Fact", factId);
  });
  await assertCanWorkContact(tx, contact);
  if (fact.invalidatedAt) {
    throw new AppError("conflict", `The fact is no longer current (${fact.invalidatedReason}); change the current one`, {
      supersededById: fact.supersededById,
    });
  }
  return fact;
}

export interface FactCorrection {
  factValue?: string | null;
  factText?: string;
  factType?: FactType;
}

/**
 * A person corrects a fact: the current row is superseded (reason "corrected") by a new current row with origin
 * "human" and confidence 1 — the old one stays in the history. Audited in the contact's timeline, and `fact.superseded`.
 */
export async function correctFact(ctx: ServiceContext, factId: string, input: FactCorrection) {
  return withTransaction(ctx, async (tx) => {
    const old = await lockCurrentFact(tx, factId);
    let value = input.factValue === undefined ? old.factValue : input.factValue;
    if (value !== null && input.factValue !== undefined && old.factKey in FACT_KEYS) {
      const normalised = normaliseFactValue(old.factKey as FactKey, value);
      if (!normalised) {
        throw new AppError("unprocessable", `'${value}' is not a value of ${old.factKey} (${FACT_KEYS[old.factKey as FactKey].value})`, [
          { path: "factValue", message: `expected ${FACT_KEYS[old.factKey as FactKey].value}` },
        ]);
      }
      value = normalised;
    }
    const text = input.factText ?? (input.factValue !== undefined ? `${old.factKey}: ${value ?? "(none)"}` : old.factText);
    const id = uuidv7();
    const now = new Date();
    const { actorType, actorId } = actorValues(tx.principal);
    await tx.db.query
      .update(f)
      .set({ invalidatedAt: now, invalidatedReason: "corrected", supersededById: id, updatedAt: now })
      .where(eq(f.id, old.id));
    const [row] = await tx.db.query
      .insert(f)
      .values({
        id,
        ...scopeValues(tx.principal),
        contactId: old.contactId,
        factType: input.factType ?? old.factType,
        factText: text,
        factKey: old.factKey,
        factValue: value,
        confidence: 1,
        sourceCount: 1,
        sourceIds: [],
        origin: "human",
        extractor: null,
        lastObservedAt: now,
        validFrom: now,
      })
      .returning();
    await tx.db.query.insert(schema.contactEvents).values({
      ...scopeValues(tx.principal),
      contactId: old.contactId,
      type: "fact.corrected",
      title: `Fact corrected: ${old.factKey}`,
      payload: { factId: id, previousFactId: old.id, factKey: old.factKey, previousValue: old.factValue, value },
      actorType,
      actorId,
    });
    await tx.db.query.insert(schema.outbox).values(
      tx.outbox.event("fact.superseded", {
        factId: old.id,
        supersededById: id,
        contactId: old.contactId,
        factKey: old.factKey,
        reason: "corrected",
      }),
    );
    return row!;
  });
}

/** A person deletes a fact: invalidated with reason "deleted" (kept in the history), audited, `fact.deleted`. */
export async function deleteFact(ctx: ServiceContext, factId: string) {
  await withTransaction(ctx, async (tx) => {
    const old = await lockCurrentFact(tx, factId);
    const now = new Date();
    const { actorType, actorId } = actorValues(tx.principal);
    await tx.db.query.update(f).set({ invalidatedAt: now, invalidatedReason: "deleted", updatedAt: now }).where(eq(f.id, old.id));
    await tx.db.query.insert(schema.contactEvents).values({
      ...scopeValues(tx.principal),
      contactId: old.contactId,
      type: "fact.deleted",
      title: `Fact deleted: ${old.factKey}`,
      payload: { factId: old.id, factKey: old.factKey, previousValue: old.factValue },
      actorType,
      actorId,
    });
    await tx.db.query
      .insert(schema.outbox)
      .values(tx.outbox.event("fact.deleted", { factId: old.id, contactId: old.contactId, factKey: old.factKey }));
  });
}
