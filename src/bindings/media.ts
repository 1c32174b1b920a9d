import type { Config } from "../env";
import { imageDescriberFor, transcriberFor } from "../services/media/enrichers";
import type { MediaDeps } from "../services/media/service";

/**
 * Media storage and enrichment from this deployment's bindings and settings. Objects share the DOCUMENTS bucket
 * under `{tenant}/{project}/media/…` (one bucket to provision; a lifecycle rule can still target the prefix).
 */
export const mediaFor = (config: Config, env: Pick<Env, "DOCUMENTS"> & { AI?: unknown }): MediaDeps => ({
  bucket: env.DOCUMENTS,
  maxBytes: config.MEDIA_MAX_BYTES,
  timeoutMs: config.MEDIA_TIMEOUT_MS,
  transcriber: transcriberFor(config, env),
  describer: imageDescriberFor(config, env),
});
