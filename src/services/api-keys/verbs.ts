import { z } from "zod";
import { Role } from "../auth/principal";
import { nullableTimestamp, timestamp } from "../shared/output";
import { defineVerb } from "../verbs/define";
import { ApiKeyInput, createApiKey, listApiKeys, revokeApiKey } from "./index";

const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string().describe("The key's first characters, to recognise it by"),
    role: Role,
    lastUsedAt: nullableTimestamp,
    expiresAt: nullableTimestamp,
    revokedAt: nullableTimestamp,
    createdAt: timestamp,
  })
  .meta({ id: "ApiKey" });

// The one response that reveals a key.
const NewApiKey = ApiKey.extend({ key: z.string().describe("The key itself — shown only in this response") }).meta({ id: "NewApiKey" });

export const listApiKeysVerb = defineVerb({
  name: "api_keys.list",
  summary: "API keys of the project (never the keys themselves)",
  permission: "api_keys:manage",
  input: z.object({}),
  output: z.object({ data: z.array(ApiKey) }).meta({ id: "ApiKeyList" }),
  emits: [],
  run: async (ctx) => ({ data: await listApiKeys(ctx) }),
});

export const createApiKeyVerb = defineVerb({
  name: "api_keys.create",
  summary: "Create an API key scoped to this project and a role",
  permission: "api_keys:manage",
  input: ApiKeyInput,
  output: NewApiKey,
  emits: ["api_key.created"],
  run: createApiKey,
});

export const revokeApiKeyVerb = defineVerb({
  name: "api_keys.revoke",
  summary: "Revoke an API key",
  permission: "api_keys:manage",
  input: z.object({ apiKeyId: z.uuid().describe("The API key id") }),
  output: ApiKey,
  emits: ["api_key.revoked"],
  run: (ctx, { apiKeyId }) => revokeApiKey(ctx, apiKeyId),
});
