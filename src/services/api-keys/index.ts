import { eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { schema } from "../../db";
import type { ServiceContext } from "../context";
import { requireFound } from "../shared/crud";
import { inScope } from "../shared/scope";

export { createApiKey } from "./create";

export const ApiKeyInput = z.object({
  name: z.string().trim().min(1).max(120),
  role: z.enum(["admin", "manager", "user", "readonly"]),
  expiresAt: z.coerce.date().refine((d) => d.getTime() > Date.now(), "must be in the future").optional(),
});

const k = schema.apiKeys;
const publicColumns = {
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
  createdAt: k.createdAt,
};

export const listApiKeys = (ctx: ServiceContext) =>
  ctx.db.query.select(publicColumns).from(k).where(inScope(k, ctx.principal)).orderBy(k.id);

export async function revokeApiKey(ctx: ServiceContext, id: string) {
  const [row] = await ctx.db.query
    .update(k)
    .set({ revokedAt: sql`now()` })
    .where(inScope(k, ctx.principal, eq(k.id, id), isNull(k.revokedAt)))
    .returning(publicColumns);
  return requireFound(row, "API key", id);
}
