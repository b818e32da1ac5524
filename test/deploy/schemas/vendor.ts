// Writes the JSON schemas that test/deploy/manifests.test.ts validates deploy/*.yaml against, so the
// check runs offline. Only the kinds the manifests use, and only the definitions those reach; the
// descriptions, formats and x-kubernetes-* annotations are dropped (ajv needs none of them).
//   node --import tsx test/deploy/schemas/vendor.ts \
//     --kubernetes <openapi2jsonschema standalone-strict _definitions.json> --kubernetes-source '<where from>' \
//     --keda-crd <keda.sh_scaledobjects.yaml> --keda-crd <keda.sh_triggerauthentications.yaml> --keda-source '<where from>'
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';

type Schema = { [key: string]: unknown };

/** The Kubernetes kinds deploy/ uses: apiVersion, kind, definition name. */
export const KUBERNETES_KINDS = [
  ['apps/v1', 'Deployment', 'io.k8s.api.apps.v1.Deployment'],
  ['v1', 'Service', 'io.k8s.api.core.v1.Service'],
  ['v1', 'ConfigMap', 'io.k8s.api.core.v1.ConfigMap'],
  ['v1', 'Secret', 'io.k8s.api.core.v1.Secret'],
  ['policy/v1', 'PodDisruptionBudget', 'io.k8s.api.policy.v1.PodDisruptionBudget'],
] as const;

const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const DROPPED = new Set(['description', 'format', 'nullable']);

/** A copy of a schema node without the keywords ajv does not need; `strict` closes open objects. */
function clean(node: unknown, strict: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => clean(n, strict));
  if (!node || typeof node !== 'object') return node;
  const source = node as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.has(key) || key.startsWith('x-kubernetes-')) continue;
    if (key === 'properties') {
      out.properties = Object.fromEntries(Object.entries(value as Schema).map(([name, s]) => [name, clean(s, strict)]));
    } else if (key === 'enum' || key === 'required' || key === 'type') {
      out[key] = value;
    } else {
      out[key] = clean(value, strict);
    }
  }
  // CRD schemas are open by default (the API server prunes unknown fields); a typo must fail here
  if (strict && out.properties && !('additionalProperties' in out) && !source['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  if (source.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

/** Definition names reachable from `roots` through $ref. */
function reachable(definitions: Record<string, Schema>, roots: string[]): string[] {
  const seen = new Set<string>();
  const visit = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const name = value.replace('#/definitions/', '');
        if (!seen.has(name)) {
          seen.add(name);
          visit(definitions[name]);
        }
      } else visit(value);
    }
  };
  roots.forEach((r) => visit({ $ref: `#/definitions/${r}` }));
  return [...seen].sort();
}

const kindSchema = (apiVersion: string, kind: string, body: Schema) => ({
  type: 'object',
  allOf: [body],
  properties: { apiVersion: { const: apiVersion }, kind: { const: kind } },
  required: ['apiVersion', 'kind', 'metadata'],
});

export function kubernetesSchema(definitionsFile: string, source: string) {
  const { definitions } = JSON.parse(fs.readFileSync(definitionsFile, 'utf8')) as { definitions: Record<string, Schema> };
  const names = reachable(definitions, KUBERNETES_KINDS.map(([, , name]) => name));
  return {
    $id: 'kubernetes.json',
    $comment: `Trimmed from ${source}: the definitions reachable from ${KUBERNETES_KINDS.map(([, k]) => k).join(', ')}; descriptions, formats and x-kubernetes-* dropped. Regenerate with test/deploy/schemas/vendor.ts.`,
    definitions: Object.fromEntries(names.map((n) => [n, clean(definitions[n], false)])),
    $defs: Object.fromEntries(KUBERNETES_KINDS.map(([apiVersion, kind, name]) => [`${apiVersion}/${kind}`, kindSchema(apiVersion, kind, { $ref: `#/definitions/${name}` })])),
  };
}

export function kedaSchema(crdFiles: string[], source: string) {
  const kinds: Record<string, unknown> = {};
  for (const file of crdFiles) {
    const crd = YAML.parse(fs.readFileSync(file, 'utf8'));
    const version = crd.spec.versions.find((v: { storage: boolean }) => v.storage);
    const schema = clean(version.schema.openAPIV3Schema, true) as Schema;
    // the CRD says only `type: object` for metadata; the API server checks it as ObjectMeta
    (schema.properties as Schema).metadata = { $ref: `kubernetes.json#/definitions/${OBJECT_META}` };
    const apiVersion = `${crd.spec.group}/${version.name}`;
    kinds[`${apiVersion}/${crd.spec.names.kind}`] = kindSchema(apiVersion, crd.spec.names.kind, schema);
  }
  return {
    $id: 'keda.json',
    $comment: `From ${source}: the storage version's openAPIV3Schema of each CRD, closed (additionalProperties: false wherever properties are listed) so that unknown fields fail; descriptions, formats and x-kubernetes-* dropped. Regenerate with test/deploy/schemas/vendor.ts.`,
    $defs: kinds,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      kubernetes: { type: 'string' },
      'kubernetes-source': { type: 'string' },
      'keda-crd': { type: 'string', multiple: true },
      'keda-source': { type: 'string' },
    },
  });
  const dir = path.dirname(new URL(import.meta.url).pathname);
  const write = (name: string, schema: unknown) => fs.writeFileSync(path.join(dir, name), `${JSON.stringify(schema, null, 1)}\n`);
  if (values.kubernetes) write('kubernetes.json', kubernetesSchema(values.kubernetes, values['kubernetes-source'] ?? values.kubernetes));
  if (values['keda-crd']) write('keda.json', kedaSchema(values['keda-crd'], values['keda-source'] ?? values['keda-crd'].join(', ')));
}
