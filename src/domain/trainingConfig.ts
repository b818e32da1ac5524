// The contract of a training job's `config`: the engine's config (per method) plus the worker's own
// settings. The API validates with it, fills every default and echoes the result back.
import { Ajv, type ValidateFunction } from 'ajv';
import {
  type EngineConfig,
  METHODS,
  type MethodName,
  configIssues,
  fillDerivedDefaults,
  methodConfigSchema,
  methodsOwning,
} from '../engine/config.ts';
import type { FromProperties } from '../engine/schema.ts';
import { renameLegacyFields } from '../engine/configCheck.ts';

export { BACKBONES, type BackboneName, METHODS, type MethodName } from '../engine/config.ts';

export const workerProperties = {
  checkpointEveryEpochs: { type: 'integer', minimum: 1, maximum: 10000, default: 1 },
  checkpointEveryMinutes: { type: 'number', exclusiveMinimum: 0, maximum: 1440, default: 10 },
  keepCheckpoints: { type: 'integer', minimum: 1, maximum: 1000, default: 3 },
  knnEveryEpochs: { type: 'integer', minimum: 0, maximum: 10000, default: 1 },
  // collapse flag: std of l2-normalised z below threshold * 1/sqrt(d) for `collapsePatienceEpochs`
  collapseThreshold: { type: 'number', minimum: 0, maximum: 1, default: 0.25 },
  collapsePatienceEpochs: { type: 'integer', minimum: 1, maximum: 1000, default: 2 },
  // dip events (workers/training/dipDetector.ts): a signal leaving its recent trend by more than these
  dipWindowSteps: { type: 'integer', minimum: 5, maximum: 100000, default: 50 },
  dipSigmas: { type: 'number', exclusiveMinimum: 0, maximum: 1000, default: 6 },
  dipKnnDrop: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.05 },
} as const;

/**
 * A time budget in place of `epochs` (no default: absent, `epochs` decides). The worker measures its
 * throughput, records `budgetPlan` and sets `epochs` to the plan (workers/training/budgetPlan.ts).
 */
const budgetProperties = {
  budget: {
    type: 'object',
    additionalProperties: false,
    required: ['minutes'],
    properties: { minutes: { type: 'number', exclusiveMinimum: 0, maximum: 10080 } },
  },
  budgetPlan: {
    type: 'object',
    readOnly: true,
    description: 'written by the worker when it plans a budget; refused in a request',
    properties: {
      minutes: { type: 'number' },
      measuredImagesPerSecond: { type: 'number' },
      measuredSteps: { type: 'integer' },
      measuredSeconds: { type: 'number' },
      epochs: { type: 'integer' },
    },
  },
} as const;

export type WorkerSettings = FromProperties<typeof workerProperties>;
export type TrainingConfig = EngineConfig & WorkerSettings & Partial<FromProperties<typeof budgetProperties>>;

/** One method's full job config schema: its engine fields and the worker's. */
function jobConfigSchema(method: MethodName) {
  const engine = methodConfigSchema(method);
  return { ...engine, properties: { ...engine.properties, ...workerProperties, ...budgetProperties } };
}

/** The job config as documented: one object schema per method, chosen by `method`. */
export const trainingConfigSchema = {
  $id: 'TrainingConfig',
  type: 'object',
  discriminator: { propertyName: 'method' },
  oneOf: METHODS.map((m) => jobConfigSchema(m)),
};

export interface ConfigIssue {
  field: string;
  message: string;
}

const ajv = new Ajv({ useDefaults: true, allErrors: true, strict: false });
const validators = new Map<MethodName, ValidateFunction>(METHODS.map((m) => [m, ajv.compile(jobConfigSchema(m))]));

const fieldOf = (e: NonNullable<ValidateFunction['errors']>[number]) =>
  (e.keyword === 'additionalProperties' ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}` : e.instancePath)
    .replace(/^\//, '')
    .replaceAll('/', '.') || '(root)';

function issueOf(e: NonNullable<ValidateFunction['errors']>[number], method: MethodName): ConfigIssue {
  const field = fieldOf(e);
  const owners = e.keyword === 'additionalProperties' && !e.instancePath ? methodsOwning(field) : [];
  return { field, message: owners.length ? `belongs to method ${owners.map((m) => `'${m}'`).join(' or ')}, not '${method}'` : (e.message ?? 'invalid') };
}

/** A field that failed several keywords (each branch of a oneOf, say) is named once. */
function oneIssuePerField(issues: ConfigIssue[]): ConfigIssue[] {
  const byField = new Map<string, string[]>();
  for (const { field, message } of issues) {
    const messages = byField.get(field) ?? [];
    if (!messages.includes(message)) messages.push(message);
    byField.set(field, messages);
  }
  return [...byField].map(([field, messages]) => ({ field, message: messages.join('; ') }));
}

/** Validates a user config and fills every default; returns the issues (field named) when invalid. */
export function resolveTrainingConfig(input: unknown): { config: TrainingConfig } | { issues: ConfigIssue[] } {
  const candidate = structuredClone(input ?? {}) as Record<string, unknown>;
  if (typeof candidate !== 'object' || Array.isArray(candidate)) return { issues: [{ field: '(root)', message: 'must be object' }] };
  const method = (candidate.method ?? 'simsiam') as MethodName;
  const validate = validators.get(method);
  if (!validate) return { issues: [{ field: 'method', message: `must be one of ${METHODS.join(', ')}` }] };
  if (!validate(candidate)) return { issues: oneIssuePerField((validate.errors ?? []).map((e) => issueOf(e, method))) };
  const config = fillDerivedDefaults(candidate as unknown as EngineConfig) as TrainingConfig;
  const issues = configIssues(config);
  return issues.length ? { issues } : { config };
}

/** What a request may not say, before defaults are filled: both a length and a budget, or the worker's plan. */
export function requestConfigIssues(input: unknown): ConfigIssue[] {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return [];
  const given = input as Record<string, unknown>;
  const issues: ConfigIssue[] = [];
  if (given.budget !== undefined && given.epochs !== undefined) issues.push({ field: 'budget', message: 'give either epochs or budget, not both' });
  if (given.budgetPlan !== undefined) issues.push({ field: 'budgetPlan', message: 'is written by the worker, not by a request' });
  return issues;
}

/** The stored config of an accepted job (validated when the job was created). */
export function jobTrainingConfig(raw: unknown): TrainingConfig {
  const resolved = resolveTrainingConfig(upgradeStoredConfig(raw));
  if ('issues' in resolved) throw new Error(`job config is invalid: ${resolved.issues.map((i) => `${i.field} ${i.message}`).join('; ')}`);
  return resolved.config;
}

/** A stored job config, written perhaps before fields were renamed. */
function upgradeStoredConfig(raw: unknown): unknown {
  return raw && typeof raw === 'object' && !Array.isArray(raw) ? renameLegacyFields(raw as Record<string, unknown>) : raw;
}
