// Registers images already in the service's own bucket under a prefix (ImageFolder layout below
// it, same label rule as archives). The bytes are copied into image packs, so the dataset does not
// depend on the prefix afterwards. Each tenant imports only from its own namespace,
// `imports/<tenantId>/`: the prefix a client sends is read inside it, so no other tenant's objects
// and none of the service's own can be named, and skip reasons only ever name keys inside it.
import type { BlobStore } from '../storage/s3.ts';
import { keys } from '../storage/keys.ts';
import { errors } from '../errors/catalogue.ts';
import { placeImagePath } from './imagePath.ts';
import type { ImageSink } from './store.ts';
import type { IngestLimits } from '../config.ts';

export interface ImportPrefix {
  /** the full key prefix in the bucket */
  key: string;
  /** the same, relative to the tenant's namespace: what the client is shown */
  relative: string;
  namespace: string;
}

/**
 * `cats`, `/cats/` or `imports/<own tenant id>/cats` → `imports/<tenantId>/cats/`. Refuses traversal,
 * control characters, the namespace root and another tenant's namespace.
 */
export function resolveImportPrefix(tenantId: string, raw: string): ImportPrefix {
  const namespace = keys.importNamespace(tenantId);
  let segments = raw.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..')) throw errors.INVALID_PREFIX('must not contain . or .. segments');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw errors.INVALID_PREFIX('must not contain control characters');
  if (segments[0] === 'imports') {
    if (segments[1] !== tenantId) {
      throw errors.PREFIX_FORBIDDEN(namespace);
    }
    segments = segments.slice(2);
  }
  if (!segments.length) throw errors.INVALID_PREFIX(`must name a folder inside your namespace ${namespace}`);
  const relative = `${segments.join('/')}/`;
  return { key: `${namespace}${relative}`, relative, namespace };
}

export async function importPrefix(blobs: BlobStore, prefix: ImportPrefix, sink: ImageSink, limits: IngestLimits): Promise<void> {
  let entries = 0;
  for await (const obj of blobs.list(prefix.key)) {
    // the listing is by prefix already; this keeps a misbehaving server from widening it
    if (!obj.key.startsWith(prefix.key)) continue;
    entries += 1;
    if (entries > limits.maxArchiveEntries) {
      throw errors.TOO_MANY_ENTRIES('prefix', limits.maxArchiveEntries).with({
        maxArchiveEntries: limits.maxArchiveEntries,
      });
    }
    const relative = obj.key.slice(prefix.key.length);
    if (relative.endsWith('/')) continue; // a console-made "folder" marker
    const placed = placeImagePath(relative);
    if (!placed.ok) sink.skip(relative, placed.reason);
    else if (obj.size > limits.maxImageBytes) sink.skip(placed.name, 'FILE_TOO_LARGE');
    else await sink.add(placed, () => blobs.get(obj.key), obj.size);
  }
  if (entries === 0) {
    throw errors.PREFIX_NOT_FOUND(prefix.relative, prefix.namespace);
  }
}
