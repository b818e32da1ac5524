// Reads the training config's JSON Schema out of the service's OpenAPI document and describes
// each field for the form: its kind, choices, bounds and default. A config that is a `oneOf` of
// methods (told apart by `method`) gives one field list per method.
export interface JsonSchema {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  description?: string;
  /** set by the service, never sent (e.g. the worker's budget plan) */
  readOnly?: boolean;
  /** the backbones a field applies to (absent: all) */
  'x-backbones'?: string[];
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
}

export interface Field {
  /** dotted path, e.g. `augment.hue` */
  path: string;
  name: string;
  kind: 'enum' | 'boolean' | 'integer' | 'number' | 'object';
  choices?: unknown[];
  default?: unknown;
  min?: number;
  max?: number;
  description?: string;
  children?: Field[];
  /** the backbones it applies to (absent: all) */
  backbones?: string[];
}

type Document = { paths: Record<string, any>; components?: { schemas?: Record<string, JsonSchema> } };

function resolve(doc: Document, schema: JsonSchema | undefined): JsonSchema | undefined {
  let s = schema;
  for (let hops = 0; s?.$ref && hops < 10; hops++) {
    const name = s.$ref.split('/').pop()!;
    s = doc.components?.schemas?.[name];
  }
  return s;
}

export interface MethodSchema {
  method: string;
  schema: JsonSchema;
  /** whether the config names its method (then the form sends it) */
  named: boolean;
}

/** The `config` schemas of POST /v1/jobs's body, one per training method. */
export function trainingConfigMethods(doc: Document): MethodSchema[] {
  const body = resolve(doc, doc.paths['/v1/jobs']?.post?.requestBody?.content?.['application/json']?.schema);
  const config = resolve(doc, body?.properties?.config);
  const variants = (config?.oneOf ?? (config?.properties ? [config] : [])).map((v) => resolve(doc, v)!).filter((v) => v.properties);
  if (!variants.length) throw new Error('the OpenAPI document has no training config schema for POST /v1/jobs');
  return variants.map((schema) => {
    const method = schema.properties!.method;
    return { method: String(method?.const ?? method?.default ?? 'simsiam'), schema, named: method !== undefined };
  });
}

function kindOf(s: JsonSchema): Field['kind'] {
  if (s.enum) return 'enum';
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (type === 'boolean' || type === 'integer' || type === 'number' || type === 'object') return type;
  return s.properties ? 'object' : 'number';
}

/** The form's fields; `method` is left out (the method picker sets it), and so are read-only ones. */
export function fieldsOf(doc: Document, schema: JsonSchema, prefix = ''): Field[] {
  const properties = Object.entries(schema.properties ?? {})
    .filter(([name]) => prefix || name !== 'method')
    .map(([name, raw]) => [name, resolve(doc, raw)!] as const)
    .filter(([, s]) => !s.readOnly);
  return properties.map(([name, s]) => {
    const kind = kindOf(s);
    return {
      path: `${prefix}${name}`,
      name,
      kind,
      choices: s.enum,
      default: s.default,
      min: s.minimum ?? s.exclusiveMinimum,
      max: s.maximum,
      description: s.description,
      children: kind === 'object' ? fieldsOf(doc, s, `${prefix}${name}.`) : undefined,
      backbones: s['x-backbones'],
    };
  });
}

/** The fields that apply to a backbone (a ResNet has no patch size). */
export function fieldsFor(fields: Field[], backbone: unknown): Field[] {
  return fields.filter((f) => !f.backbones || f.backbones.includes(String(backbone)));
}

/** Values the user changed from the defaults, as the nested config object the API takes. */
export function configFrom(fields: Field[], values: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    if (f.children) {
      const nested = configFrom(f.children, values);
      if (Object.keys(nested).length) out[f.name] = nested;
      continue;
    }
    const v = values[f.path];
    if (v === undefined || v === '' || v === f.default) continue;
    out[f.name] = v;
  }
  return out;
}
