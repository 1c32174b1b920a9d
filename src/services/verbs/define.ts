import type { z } from "zod";
import { AppError } from "../../lib/errors";
import type { Topic } from "../../outbox/events";
import { authorize, type Permission } from "../auth/permissions";
import type { ServiceContext } from "../context";
import { withTransaction } from "../shared/transaction";

export interface RuleFailure {
  path: string;
  message: string;
}

/**
 * One operation of the CRM, stated once: its input and output schemas, who may call it, the events it may write
 * and how it runs. REST routes (`http/verb-route.ts`), MCP tools (`mcp/tools.ts`), queue consumers and RPC are
 * views of a verb; none re-declares its schema or its permission.
 */
export interface VerbSpec<I extends z.ZodObject, O extends z.ZodType> {
  /** `<domain>.<action>`, e.g. `contacts.update`. */
  name: string;
  summary: string;
  permission: Permission;
  /**
   * A plain object schema. REST splits it into path, query and body; MCP renames its keys to snake_case. Rules that
   * span fields go in `rules`, because a refined object cannot be split per transport part.
   */
  input: I;
  rules?: (input: z.output<I>) => RuleFailure[];
  output: O;
  /** Every outbox topic the verb (and the verbs it composes) may write; a read declares none. */
  emits: readonly Topic[];
  /** Composite verbs: run in one interactive transaction that nested verbs join. */
  transaction?: boolean;
  /** Verbs this one runs through `callNested`; their events must be among `emits` (the contract test checks). */
  composes?: readonly AnyVerb[];
  run: (ctx: ServiceContext, input: z.output<I>) => Promise<z.input<O>>;
}

export type Verb<I extends z.ZodObject = z.ZodObject, O extends z.ZodType = z.ZodType> = VerbSpec<I, O> & { readonly kind: "verb" };
export type AnyVerb = Verb<any, any>;

export const defineVerb = <I extends z.ZodObject, O extends z.ZodType>(spec: VerbSpec<I, O>): Verb<I, O> => ({ ...spec, kind: "verb" });

/** Whether the verb changes data: it declares the events its changes write. */
export const isMutation = (verb: AnyVerb) => verb.emits.length > 0;

export function invalid(context: string, issues: { path: PropertyKey[] | string; message: string; code?: string }[]): AppError {
  const details = issues.map((i) => ({
    path: typeof i.path === "string" ? i.path : i.path.map(String).join("."),
    message: i.message,
    ...(i.code ? { code: i.code } : {}),
  }));
  return new AppError(
    "invalid_request",
    `Invalid ${context}: ${details.map((d) => `${d.path || "(root)"}: ${d.message}`).join("; ")}`,
    details,
  );
}

/** Parses raw input with the verb's schema and rules; the same failure on every transport. */
export function parseVerbInput<V extends AnyVerb>(verb: V, raw: unknown): z.output<V["input"]> {
  const result = verb.input.safeParse(raw ?? {});
  if (!result.success) throw invalid(`input for ${verb.name}`, result.error.issues);
  checkRules(verb, result.data);
  return result.data;
}

function checkRules(verb: AnyVerb, input: unknown) {
  const failures = verb.rules?.(input) ?? [];
  if (failures.length) throw invalid(`input for ${verb.name}`, failures);
}

/**
 * A verb run by another verb: the nested verb's own permission and rules apply (a composite cannot do what its
 * parts forbid), inside the caller's transaction and outbox restriction.
 */
export async function callNested<V extends AnyVerb>(
  verb: V,
  ctx: ServiceContext,
  input: z.input<V["input"]>,
): Promise<z.input<V["output"]>> {
  authorize(ctx.principal, verb.permission);
  const parsed = parseVerbInput(verb, input);
  return verb.run(ctx, parsed);
}

/**
 * The one way a transport calls a verb: permission, validation (already done per part by REST's validators — then
 * only the cross-field rules run), the outbox restricted to the declared topics, and the verb's transaction.
 */
export async function callVerb<V extends AnyVerb>(
  verb: V,
  ctx: ServiceContext,
  raw: unknown,
  opts: { validated?: boolean } = {},
): Promise<z.input<V["output"]>> {
  authorize(ctx.principal, verb.permission);
  let input: z.output<V["input"]>;
  if (opts.validated) {
    input = raw as z.output<V["input"]>;
    checkRules(verb, input);
  } else {
    input = parseVerbInput(verb, raw);
  }
  const scoped: ServiceContext = { ...ctx, outbox: ctx.outbox.restrictedTo(verb.emits, verb.name) };
  const mark = ctx.outbox.mark();
  const output = await (verb.transaction ? withTransaction(scoped, (tx) => verb.run(tx, input)) : verb.run(scoped, input));
  // Returned outside any open transaction: every row it built is committed, so it is published without a re-read.
  if (!ctx.db.inTransaction) ctx.outbox.confirmSince(mark);
  return output;
}
