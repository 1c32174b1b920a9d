import { eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import { forgetApiKey } from "../auth/api-key-cache";
import { Role } from "../auth/principal";
import type { ServiceContext } from "../context";
import { requireFound } from "../shared/crud";
import { inScope } from "../shared/scope";
import { withTransaction } from "../shared/transaction";
import { publicColumns } from "./columns";

export { createApiKey } from "./create";

export const ApiKeyInput = z.object({
  name: z.string().trim().min(1).max(120),
  role: Role,
  expiresAt: z.coerce
    .date()
    .refine((d) => d.getTime() > Date.now(), "must be in the future")
    .optional(),
});

const k = schema.apiKeys;

export const listApiKeys = (ctx: ServiceContext) =>
  ctx.db.query.select(publicColumns).from(k).where(inScope(k, ctx.principal)).orderBy(k.id);

/**
 * An already revoked key answers 404 (there is no live key with that id). The update decides: a transaction
 * rather than check-then-batch, so two concurrent revocations write one event, not two.
 */
export function revokeApiKey(ctx: ServiceContext, id: string) {
  return withTransaction(ctx, async (tx) => {
    const [row] = await tx.db.query
      .update(k)
      .set({ revokedAt: sql`now()` })
      .where(inScope(k, tx.principal, eq(k.id, id), isNull(k.revokedAt)))
      .returning(publicColumns);
    requireFound(row, "API key", id);
    forgetApiKey(id);
    await tx.db.query.insert(schema.outbox).values(tx.outbox.event("api_key.revoked", { apiKeyId: id }));
    return row!;
  });
}
