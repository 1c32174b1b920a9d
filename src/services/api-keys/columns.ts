import { schema } from "../../db";

const k = schema.apiKeys;

/** What callers may see of a key: never its hash, and the key itself only in the response that creates it. */
export const publicColumns = {
  id: k.id,
  name: k.name,
  prefix: k.prefix,
  role: k.role,
  lastUsedAt: k.lastUsedAt,
  expiresAt: k.expiresAt,
  revokedAt: k.revokedAt,
  createdAt: k.createdAt,
};
