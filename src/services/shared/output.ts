import { z } from "zod";

/** Output building blocks. `id` in meta names the schema once for OpenAPI components and MCP listings. */
export const timestamp = z.date();
export const nullableTimestamp = z.date().nullable();

/** A page of a keyset-paginated list, as every list verb returns it. */
export const page = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() }).meta({ id });

/** A documented row: the listed fields, and whatever else the resource carries. */
export const resource = <S extends z.ZodRawShape>(id: string, shape: S) => z.looseObject({ id: z.string(), ...shape }).meta({ id });

export const nothing = z.void();
