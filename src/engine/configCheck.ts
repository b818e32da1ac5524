// Comparing and upgrading engine configs: what a checkpoint's meta is checked against on restore.
import { type EngineConfig, engineFields, fillDerivedDefaults, methodConfigSchema } from './config.ts';

/** Configs written before the methods existed said `projectorOutputBn`; it is now `bn` (paper table 5). */
export function renameLegacyFields(raw: Record<string, unknown>): Record<string, unknown> {
  if (!('projectorOutputBn' in raw)) return raw;
  const { projectorOutputBn, ...rest } = raw;
  return { ...rest, bn: projectorOutputBn === false ? 'hidden-only' : 'default' };
}

type Schema = { default?: unknown; properties?: Record<string, Schema> };

function fillDefaults(value: Record<string, unknown>, properties: Record<string, Schema>): Record<string, unknown> {
  const out = { ...value };
  for (const [name, schema] of Object.entries(properties)) {
    if (out[name] === undefined && schema.default !== undefined) out[name] = structuredClone(schema.default);
    if (schema.properties && out[name] && typeof out[name] === 'object') out[name] = fillDefaults(out[name] as Record<string, unknown>, schema.properties);
  }
  return out;
}

/** A checkpoint's engine config with the fields added since it was written at their defaults (which
 * keep the behaviour it was trained with: a new field's default is the old behaviour). */
export function upgradeConfig(config: EngineConfig): EngineConfig {
  return fillDerivedDefaults(fillDefaults(config, methodConfigSchema(config.method).properties as Record<string, Schema>) as EngineConfig);
}

/** The engine config inside a format-1 checkpoint (SimSiam only, the whole job config, older fields). */
export function upgradeLegacyConfig(raw: Record<string, unknown>): EngineConfig {
  return upgradeConfig(engineFields(renameLegacyFields({ method: 'simsiam', ...raw })) as EngineConfig);
}

/** Dotted paths of the fields where two configs differ. */
export function configDifferences(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => configDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [path || '(root)'];
}
