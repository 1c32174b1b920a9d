import type { z } from "zod";
import { schema } from "../../db";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { uuidv7 } from "../../lib/ids";
import type { ServiceContext } from "../context";
import { publicColumns } from "./columns";
import type { ApiKeyInput } from "./index";

export const API_KEY_PREFIX = "vtr_";

export type CreateApiKeyInput = z.infer<typeof ApiKeyInput>;

/**
 * The plaintext key is returned once and never stored: keys carry 256 bits of entropy, so a fast SHA-256
 * digest is enough to make the stored value useless to a reader of the database (a slow KDF would only add
 * latency to every authenticated request). The event names the key but carries none of it, not even the prefix.
 */
export async function createApiKey(ctx: ServiceContext, input: CreateApiKeyInput) {
  const key = `${API_KEY_PREFIX}${randomToken(32)}`;
  const id = uuidv7();
  const [[row]] = await ctx.db.batch([
    ctx.db.query
      .insert(schema.apiKeys)
      .values({
        id,
        tenantId: ctx.principal.tenantId,
        projectId: ctx.principal.projectId,
        name: input.name,
        role: input.role,
        prefix: key.slice(0, API_KEY_PREFIX.length + 6),
        keyHash: await sha256Hex(key),
        expiresAt: input.expiresAt,
        createdByUserId: ctx.principal.actor.type === "user" ? ctx.principal.actor.id : null,
      })
      .returning(publicColumns),
    ctx.db.query
      .insert(schema.outbox)
      .values(
        ctx.outbox.event("api_key.created", { apiKeyId: id, name: input.name, role: input.role, expiresAt: input.expiresAt ?? null }),
      ),
  ] as const);
  return { ...row!, key };
}
