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

/** The engine config inside a format-1 checkpoint (SimSiam only, the whole job config, older fields). */
export function upgradeLegacyConfig(raw: Record<string, unknown>): EngineConfig {
  const config = engineFields(renameLegacyFields({ method: 'simsiam', ...raw }));
  return fillDerivedDefaults(fillDefaults(config, methodConfigSchema('simsiam').properties as Record<string, Schema>) as EngineConfig);
}

/** Dotted paths of the fields where two configs differ. */
export function configDifferences(a: unknown, b: unknown, path = ''): string[] {
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) => configDifferences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  return a === b ? [] : [path || '(root)'];
}
