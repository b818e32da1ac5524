// The offline check of deploy/*.yaml and the Dockerfile: every document against the vendored
// Kubernetes and KEDA schemas (./schemas), then the rules a cluster would otherwise enforce late or
// never: non-root numeric IDs that match the image's USER, resources, probes, disruption budgets,
// autoscalers that point at things that exist. Returns the problems found; none means deployable.
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import YAML from 'yaml';

/** a parsed YAML document: its shape is what the checks establish */
type Obj = Record<string, any>;

export interface DeployFiles {
  /** file name in deploy/ → its text */
  manifests: Record<string, string>;
  dockerfile: string;
}

const SCHEMA_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'schemas');
const KUSTOMIZATION = 'kustomization.yaml';
/** a pod without an API port is a worker: it needs the time to write a checkpoint (docs/scaling.md) */
export const MIN_WORKER_GRACE_SECONDS = 120;

let validators: Map<string, ValidateFunction> | undefined;
function schemaFor(apiVersion: string, kind: string): ValidateFunction | undefined {
  if (!validators) {
    const ajv = new Ajv({ allErrors: true, strictSchema: true, strictTypes: false, strictTuples: false });
    const compiled = new Map<string, ValidateFunction>();
    // each file: `definitions` as Kubernetes names them, `$defs` one schema per apiVersion/kind
    const files = ['kubernetes.json', 'keda.json'].map((f) => JSON.parse(fs.readFileSync(path.join(SCHEMA_DIR, f), 'utf8')));
    for (const file of files) ajv.addSchema(file);
    for (const file of files) {
      for (const key of Object.keys(file.$defs)) compiled.set(key, ajv.getSchema(`${file.$id}#/$defs/${key.replaceAll('/', '~1')}`)!);
    }
    validators = compiled;
  }
  return validators.get(`${apiVersion}/${kind}`);
}

export function readDeployFiles(root: string): DeployFiles {
  const dir = path.join(root, 'deploy');
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
  return {
    manifests: Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(dir, n), 'utf8')])),
    dockerfile: fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8'),
  };
}

interface ImageUser {
  uid: number;
  gid: number;
  dataDir?: string;
}

/** Each image the Dockerfile's header builds (`--target T -t IMAGE`) → the USER and DATA_DIR it runs with. */
export function imageUsers(dockerfile: string, problems: string[]): Map<string, ImageUser | undefined> {
  const stages = new Map<string, { parent?: string; user?: string; dataDir?: string }>();
  let current: { parent?: string; user?: string; dataDir?: string } | undefined;
  for (const line of dockerfile.split('\n')) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      current = { parent: stages.has(from[1]) ? from[1] : undefined };
      if (from[2]) stages.set(from[2], current);
      continue;
    }
    const user = /^USER\s+(\S+)/i.exec(line);
    if (user && current) current.user = user[1];
    const dataDir = /^ENV\s.*\bDATA_DIR=(\S+)/i.exec(line);
    if (dataDir && current) current.dataDir = dataDir[1];
  }
  const resolve = (name: string, key: 'user' | 'dataDir'): string | undefined => {
    const stage = stages.get(name);
    return stage?.[key] ?? (stage?.parent ? resolve(stage.parent, key) : undefined);
  };
  const images = new Map<string, ImageUser | undefined>();
  for (const [, target, image] of dockerfile.matchAll(/--target\s+(\S+)\s+-t\s+(\S+)/g)) {
    if (!stages.has(target)) {
      problems.push(`Dockerfile: the header builds ${image} from a stage "${target}" that does not exist`);
      continue;
    }
    const user = resolve(target, 'user');
    const numeric = user && /^(\d+):(\d+)$/.exec(user);
    if (!numeric) {
      problems.push(`Dockerfile: stage ${target} (${image}) runs as USER ${user ?? '(none: root)'}; it must be a numeric UID:GID`);
      images.set(image, undefined);
    } else if (Number(numeric[1]) === 0) {
      problems.push(`Dockerfile: stage ${target} (${image}) runs as root`);
      images.set(image, undefined);
    } else {
      images.set(image, { uid: Number(numeric[1]), gid: Number(numeric[2]), dataDir: resolve(target, 'dataDir') });
    }
  }
  return images;
}

const httpGetPath = (probe: Obj | undefined) => probe?.httpGet?.path as string | undefined;

function checkPod(where: string, pod: Obj, images: Map<string, ImageUser | undefined>, problems: string[]) {
  const sc = pod.securityContext ?? {};
  if (sc.runAsNonRoot !== true) problems.push(`${where}: securityContext.runAsNonRoot must be true`);
  for (const field of ['runAsUser', 'runAsGroup', 'fsGroup']) {
    if (!Number.isInteger(sc[field]) || sc[field] <= 0) problems.push(`${where}: securityContext.${field} must be a numeric non-root ID`);
  }
  const isApi = pod.containers?.some((c: Obj) => c.ports?.some((p: Obj) => p.name === 'http'));
  if (!isApi && !((pod.terminationGracePeriodSeconds ?? 30) >= MIN_WORKER_GRACE_SECONDS)) {
    problems.push(`${where}: a worker needs terminationGracePeriodSeconds >= ${MIN_WORKER_GRACE_SECONDS} to finish a step and write a checkpoint`);
  }
  const mounts = (c: Obj) => new Set((c.volumeMounts ?? []).map((m: Obj) => m.mountPath));
  const volumes = new Set((pod.volumes ?? []).map((v: Obj) => v.name));
  for (const c of pod.containers ?? []) {
    const at = `${where} container ${c.name}`;
    const imageName = String(c.image).replace(/:[^:/]*$/, '');
    const image = images.get(imageName);
    if (!images.has(imageName)) problems.push(`${at}: image ${c.image} is not one the Dockerfile builds`);
    else if (image && (sc.runAsUser !== image.uid || sc.runAsGroup !== image.gid)) {
      problems.push(`${at}: runs as ${JSON.stringify(sc.runAsUser)}:${JSON.stringify(sc.runAsGroup)} but the image's USER is ${image.uid}:${image.gid}`);
    }
    const csc = c.securityContext ?? {};
    if (csc.allowPrivilegeEscalation !== false) problems.push(`${at}: securityContext.allowPrivilegeEscalation must be false`);
    if (csc.runAsUser !== undefined && csc.runAsUser !== sc.runAsUser) problems.push(`${at}: overrides runAsUser`);
    if (csc.readOnlyRootFilesystem === true) {
      const mounted = mounts(c);
      for (const dir of ['/tmp', image?.dataDir].filter(Boolean)) {
        if (!mounted.has(dir)) problems.push(`${at}: the root filesystem is read-only but nothing writable is mounted at ${dir}`);
      }
    } else problems.push(`${at}: securityContext.readOnlyRootFilesystem must be true`);
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${at}: mounts volume ${m.name}, which the pod does not define`);
    const r = c.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory) problems.push(`${at}: resources.requests needs cpu and memory`);
    if (!r.limits?.memory) problems.push(`${at}: resources.limits needs memory`);
    const ports = new Set((c.ports ?? []).map((p: Obj) => p.name));
    for (const kind of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
      const port = c[kind]?.httpGet?.port;
      if (port !== undefined && typeof port === 'string' && !ports.has(port)) problems.push(`${at}: ${kind} uses port ${port}, which the container does not name`);
    }
    if (httpGetPath(c.livenessProbe) !== '/healthz') problems.push(`${at}: livenessProbe must GET /healthz`);
    if (c.startupProbe && httpGetPath(c.startupProbe) !== '/healthz') problems.push(`${at}: startupProbe must GET /healthz`);
    if (ports.has('http') && httpGetPath(c.readinessProbe) !== '/readyz') problems.push(`${at}: an API container's readinessProbe must GET /readyz`);
  }
}

const matches = (selector: Obj | undefined, labels: Obj | undefined) =>
  !!selector && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

export function checkDeploy(files: DeployFiles): string[] {
  const problems: string[] = [];
  const images = imageUsers(files.dockerfile, problems);
  const docs: Array<{ file: string; doc: Obj }> = [];
  for (const [file, text] of Object.entries(files.manifests)) {
    for (const parsed of YAML.parseAllDocuments(text)) {
      if (parsed.errors.length) {
        problems.push(`${file}: YAML: ${parsed.errors.map((e) => e.message).join('; ')}`);
        continue;
      }
      const doc = parsed.toJS();
      if (doc !== null) docs.push({ file, doc });
    }
  }

  const kustomization = docs.find((d) => d.file === KUSTOMIZATION)?.doc;
  const listed = new Set<string>(kustomization?.resources ?? []);
  for (const file of Object.keys(files.manifests)) {
    if (file !== KUSTOMIZATION && !listed.has(file)) problems.push(`${KUSTOMIZATION}: does not list ${file}`);
  }
  for (const file of listed) if (!(file in files.manifests)) problems.push(`${KUSTOMIZATION}: lists ${file}, which does not exist`);

  const named = (kind: string) => new Map(docs.filter((d) => d.doc.kind === kind).map((d) => [d.doc.metadata?.name, d.doc]));
  for (const { file, doc } of docs) {
    if (file === KUSTOMIZATION) continue;
    const where = `${file}: ${doc.kind ?? '(no kind)'} ${doc.metadata?.name ?? '(no name)'}`;
    const validate = schemaFor(doc.apiVersion, doc.kind);
    if (!validate) {
      problems.push(`${where}: no schema for ${doc.apiVersion} ${doc.kind} (test/deploy/schemas/vendor.ts)`);
      continue;
    }
    if (!validate(doc)) {
      for (const e of validate.errors ?? []) problems.push(`${where}: schema: ${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`);
    }
  }

  const secrets = named('Secret');
  const pdbs = [...named('PodDisruptionBudget').values()];
  for (const [name, deployment] of named('Deployment')) {
    const template = deployment.spec?.template;
    checkPod(`Deployment ${name}`, template?.spec ?? {}, images, problems);
    if (!pdbs.some((p) => matches(p.spec?.selector?.matchLabels, template?.metadata?.labels))) problems.push(`Deployment ${name}: no PodDisruptionBudget selects its pods`);
    for (const c of template?.spec?.containers ?? []) {
      for (const ref of c.envFrom ?? []) {
        if (ref.secretRef && !secrets.has(ref.secretRef.name)) problems.push(`Deployment ${name}: envFrom names Secret ${ref.secretRef.name}, which deploy/ does not define`);
      }
    }
  }

  const deployments = named('Deployment');
  const auths = named('TriggerAuthentication');
  for (const [name, scaled] of named('ScaledObject')) {
    const target = scaled.spec?.scaleTargetRef?.name;
    if (!deployments.has(target)) problems.push(`ScaledObject ${name}: scales ${target}, which is not a Deployment in deploy/`);
    for (const trigger of scaled.spec?.triggers ?? []) {
      const auth = auths.get(trigger.authenticationRef?.name);
      if (!auth) problems.push(`ScaledObject ${name}: authenticationRef ${trigger.authenticationRef?.name} is not a TriggerAuthentication in deploy/`);
      for (const ref of auth?.spec?.secretTargetRef ?? []) {
        const secret = secrets.get(ref.name);
        if (!secret || !(ref.key in { ...secret.stringData, ...secret.data })) problems.push(`TriggerAuthentication ${auth!.metadata.name}: Secret ${ref.name} has no key ${ref.key}`);
      }
    }
  }
  return problems;
}
