// A minimal JSON-schema-to-type mapping for the engine's config schemas: each field is declared once,
// as a schema with its default, and its TypeScript type is derived from that declaration.

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

type FromType<T> = T extends 'integer' | 'number' ? number : T extends 'boolean' ? boolean : T extends 'string' ? string : T extends 'null' ? null : never;

type FromProperty<P> = P extends { enum: readonly (infer E)[] }
  ? E
  : P extends { const: infer C }
    ? C
    : P extends { oneOf: readonly (infer O)[] }
      ? FromProperty<O>
      : P extends { type: 'object'; properties: infer Q }
        ? FromProperties<Q>
        : P extends { type: infer T }
          ? FromType<T extends readonly (infer U)[] ? U : T>
          : never;

/** The resolved (defaults filled) value of an object schema's `properties`. */
export type FromProperties<Q> = { -readonly [K in keyof Q]: FromProperty<Q[K]> };

/** The same properties with other defaults (a method's own recipe over the shared fields). */
export function withDefaults<Q extends Record<string, object>>(properties: Q, defaults: { [K in keyof Q]?: Json }): Q {
  const out: Record<string, object> = { ...properties };
  for (const [name, value] of Object.entries(defaults)) out[name] = { ...properties[name], default: value };
  return out as Q;
}
