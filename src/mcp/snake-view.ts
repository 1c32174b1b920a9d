import { z } from "zod";

/**
 * The MCP surface is a snake_case view of each verb's camelCase schemas (the agents are Python). Nothing is
 * re-declared: the verb's JSON Schema is renamed for listing, arguments are renamed back by walking the same
 * schema, and results are renamed by walking the output schema. Only keys the schema declares as object
 * properties are renamed — records (custom fields, payloads, metadata) are user data and keep their keys.
 */
type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  [key: string]: unknown;
};

export const toSnake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export interface SnakeView {
  /** The arguments' JSON Schema as agents see it. */
  inputSchema: Record<string, unknown> & { type: "object" };
  /** snake_case (or aliased) arguments → the verb's camelCase input; unknown keys are dropped. */
  toInput(args: unknown): unknown;
  /** A verb's output → snake_case keys where the output schema declares objects. */
  toResult(output: unknown): unknown;
  /** A validation path of the verb (`customFields.x`) as the caller named it (`custom_fields.x`). */
  toArgPath(path: string): string;
}

/** `aliases` renames top-level arguments where the tool's established name differs: `{ q: "query" }`. */
export function snakeView(input: z.ZodType, output: z.ZodType, aliases: Record<string, string> = {}): SnakeView {
  const inSchema = z.toJSONSchema(input, { io: "input", unrepresentable: "any" }) as JsonSchema;
  const outSchema = z.toJSONSchema(output, { io: "output", unrepresentable: "any" }) as JsonSchema;
  const argName = (key: string, top: boolean) => (top && aliases[key]) || toSnake(key);
  return {
    inputSchema: renameSchema(inSchema, inSchema, argName, true) as SnakeView["inputSchema"],
    toInput: (args) => renameValue(args, inSchema, inSchema, "in", argName, true),
    toResult: (value) => renameValue(value, outSchema, outSchema, "out", argName, false),
    toArgPath: (path) => {
      const [head = "", ...rest] = path.split(".");
      return [aliases[head] ?? toSnake(head), ...rest.map((p) => (/^\d+$/.test(p) ? p : toSnake(p)))].join(".");
    },
  };
}

function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 20; i++) {
    const name = s.$ref.replace(/^#\/\$defs\//, "");
    s = s.$ref === "#" ? root : (root.$defs?.[name] ?? {});
  }
  return s;
}

/** The schema branches that may describe `value` (unions are tried in order). */
function branches(schema: JsonSchema, root: JsonSchema): JsonSchema[] {
  const s = resolve(schema, root);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.flatMap((a) => branches(a, root));
  if (s.allOf) return s.allOf.flatMap((a) => branches(a, root));
  return [s];
}

function renameSchema(schema: JsonSchema, root: JsonSchema, name: (k: string, top: boolean) => string, top: boolean): JsonSchema {
  const s = resolve(schema, root);
  const out: JsonSchema = { ...s };
  delete out.$defs;
  delete out.$schema;
  if (s.properties) {
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [name(k, top), renameSchema(v, root, name, false)]));
    if (s.required) out.required = s.required.map((k) => name(k, top));
  }
  if (s.items && !Array.isArray(s.items)) out.items = renameSchema(s.items, root, name, false);
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const alts = s[key];
    if (alts) out[key] = alts.map((a) => renameSchema(a, root, name, false));
  }
  return out;
}

function renameValue(
  value: unknown,
  schema: JsonSchema,
  root: JsonSchema,
  direction: "in" | "out",
  name: (k: string, top: boolean) => string,
  top: boolean,
): unknown {
  if (value === null || typeof value !== "object") return value;
  const options = branches(schema, root);
  if (Array.isArray(value)) {
    const list = options.find((o) => o.items && !Array.isArray(o.items));
    return list ? value.map((v) => renameValue(v, list.items as JsonSchema, root, direction, name, false)) : value;
  }
  const obj = options.find((o) => o.properties);
  if (!obj?.properties) return value; // a record or unknown: user data, keys kept
  const declared = obj.properties;
  const result: Record<string, unknown> = {};
  if (direction === "in") {
    const byArg = new Map(Object.keys(declared).map((k) => [name(k, top), k]));
    for (const [arg, v] of Object.entries(value)) {
      const key = byArg.get(arg);
      if (key !== undefined) result[key] = renameValue(v, declared[key]!, root, direction, name, false);
    }
  } else {
    for (const [key, v] of Object.entries(value)) {
      result[toSnake(key)] = key in declared ? renameValue(v, declared[key]!, root, direction, name, false) : v;
    }
  }
  return result;
}
