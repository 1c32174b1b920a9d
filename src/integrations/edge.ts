import { z } from "zod";

/**
 * Building blocks of the webhook schemas (waha/payloads.ts, stripe/payloads.ts). They are the edge: a value that
 * passes is storable — strings carry no NUL (Postgres text cannot hold one, SQLSTATE 22021) and are bounded (index
 * rows have a size limit), timestamps lie in the range both `Date` and `timestamptz` hold — and an event that
 * fails can never be processed, so it is rejected for good (acknowledged and recorded; see services/webhooks).
 */

/** 9999-12-31T23:59:59.999Z: the last instant `Date` and `timestamptz` both hold. */
export const MAX_EPOCH_MS = 253_402_300_799_999;

/** A string we may persist: bounded and without NUL characters. */
export const storableText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((s) => !s.includes("\u0000"), "must not contain NUL characters");

/** `path: message; …`, bounded, for the response and the rejection record. */
export function describeIssues(error: z.ZodError, prefix: string): string {
  const text = error.issues.map((i) => `${prefix}${i.path.join(".") || "(root)"}: ${i.message}`).join("; ");
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
