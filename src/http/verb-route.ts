import type { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type AnyVerb, callVerb } from "../services/verbs/define";
import type { AppEnv } from "./context";
import { authErrors, authedRoute, type ErrorStatus, errors, noContent } from "./openapi";

type Method = "get" | "post" | "put" | "patch" | "delete";
type Status = 200 | 201 | 202 | 204;
type PathKeys<P extends string> = P extends `${string}{${infer K}}${infer Rest}` ? K | PathKeys<Rest> : never;
type Shape<V extends AnyVerb> = V["input"]["shape"];
type Params<V extends AnyVerb, P extends string> = z.ZodObject<Pick<Shape<V>, PathKeys<P> & keyof Shape<V>>>;
type Rest<V extends AnyVerb, P extends string> = z.ZodObject<Omit<Shape<V>, PathKeys<P>>>;
type InQuery = "get" | "delete";

interface VerbRouteOptions<M extends Method, P extends string, S extends Status> {
  method: M;
  /** Path parameters are named after the verb's input fields: `/contacts/{contactId}`. */
  path: P;
  status?: S;
  tags: string[];
  /** Error statuses beyond 400/401/403/404 that the verb can answer. */
  errors?: ErrorStatus[];
  /** A body the client may leave out entirely (every field optional). */
  optionalBody?: boolean;
  description?: string;
}

type RestPart<V extends AnyVerb, M extends Method, P extends string> = [Exclude<keyof Shape<V>, PathKeys<P>>] extends [never]
  ? object
  : M extends InQuery
    ? { query: Rest<V, P> }
    : { body: { required: boolean; content: { "application/json": { schema: Rest<V, P> } } } };

/** The route's type as Hono's typed client reads it (the runtime object is built below). */
type RouteOf<V extends AnyVerb, M extends Method, P extends string, S extends Status> = {
  method: M;
  path: P;
  request: (PathKeys<P> extends never ? object : { params: Params<V, P> }) & RestPart<V, M, P>;
  responses: {
    [K in S]: K extends 204 ? typeof noContent : { description: string; content: { "application/json": { schema: V["output"] } } };
  };
};

/**
 * A REST route generated from a verb: path parameters and the query (GET/DELETE) or JSON body (other methods) are
 * the verb's own input schema split by where the values travel, the response is its output schema, and the
 * permission is its permission. The handler only moves values between HTTP and `callVerb`.
 */
export function verbRoute<V extends AnyVerb, M extends Method, P extends string, S extends Status = 200>(
  verb: V,
  opts: VerbRouteOptions<M, P, S>,
) {
  const pathKeys = [...opts.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const shape = verb.input.shape as Record<string, unknown>;
  for (const key of pathKeys) if (!(key in shape)) throw new Error(`${verb.name}: path parameter {${key}} is not an input field`);
  const pick = Object.fromEntries(pathKeys.map((k) => [k, true as const]));
  const params = pathKeys.length ? verb.input.pick(pick) : undefined;
  const rest = verb.input.omit(pick);
  const hasRest = Object.keys(rest.shape).length > 0;
  const inQuery = opts.method === "get" || opts.method === "delete";
  const status = (opts.status ?? 200) as S;
  const route = authedRoute(verb.permission, {
    method: opts.method,
    path: opts.path,
    tags: opts.tags,
    summary: verb.summary,
    ...(opts.description ? { description: opts.description } : {}),
    "x-verb": verb.name,
    request: {
      ...(params ? { params } : {}),
      ...(hasRest && inQuery ? { query: rest } : {}),
      ...(hasRest && !inQuery ? { body: { required: !opts.optionalBody, content: { "application/json": { schema: rest } } } } : {}),
    },
    responses: {
      [status]: status === 204 ? noContent : { description: verb.summary, content: { "application/json": { schema: verb.output } } },
      ...authErrors(),
      ...errors(...(opts.errors ?? [])),
    },
  }) as unknown as RouteOf<V, M, P, S>;

  const handler = async (c: Context<AppEnv>) => {
    const valid = (target: string) => (c.req.valid as (t: string) => Record<string, unknown> | undefined).call(c.req, target);
    const input = {
      ...(params ? valid("param") : {}),
      ...(hasRest ? ((inQuery ? valid("query") : valid("json")) ?? {}) : {}),
    };
    // A body the client may omit was not parsed at all when omitted (no defaults applied): parse it here.
    const output = await callVerb(verb, c.var.svc, input, { validated: !opts.optionalBody });
    return status === 204 ? c.body(null, 204) : c.json(output as object, status as 200);
  };
  return [route, handler as any] as const;
}
