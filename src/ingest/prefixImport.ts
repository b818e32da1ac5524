// Registers images already in the service's own bucket under a prefix (ImageFolder layout below
// it, same label rule as archives). The bytes are copied to their content address, so the dataset
// does not depend on the prefix afterwards. Prefixes the service manages itself are refused: they
// hold every tenant's data.
import type { BlobStore } from '../storage/s3.ts';
import { AppError, badRequest } from '../domain/errors.ts';
import { placeImagePath } from './imagePath.ts';
import type { ImageSink } from './store.ts';
import type { IngestLimits } from '../config.ts';

const RESERVED_PREFIXES = ['images/', 'uploads/', 'jobs/', 'embeddings/'];

/** `a/b`, `/a/b/` → `a/b/`; refuses traversal, the bucket root and the service's own namespaces. */
export function normalizePrefix(raw: string): string {
  const segments = raw.split('/').filter((s) => s !== '');
  if (!segments.length) throw badRequest('INVALID_PREFIX', 'prefix must name a folder below the bucket root');
  if (segments.some((s) => s === '.' || s === '..')) throw badRequest('INVALID_PREFIX', 'prefix must not contain . or .. segments');
  const prefix = `${segments.join('/')}/`;
  if (RESERVED_PREFIXES.some((r) => prefix.startsWith(r))) {
    throw badRequest('PREFIX_RESERVED', `prefixes under ${RESERVED_PREFIXES.join(', ')} belong to the service`);
  }
  return prefix;
}

export async function importPrefix(blobs: BlobStore, prefix: string, sink: ImageSink, limits: IngestLimits): Promise<void> {
  let entries = 0;
  for await (const obj of blobs.list(prefix)) {
    entries += 1;
    if (entries > limits.maxArchiveEntries) {
      throw new AppError(413, 'TOO_MANY_ENTRIES', `the prefix holds more than ${limits.maxArchiveEntries} objects`, {
        maxArchiveEntries: limits.maxArchiveEntries,
      });
    }
    const relative = obj.key.slice(prefix.length);
    if (relative.endsWith('/')) continue; // a console-made "folder" marker
    const placed = placeImagePath(relative);
    if (!placed.ok) sink.skip(relative, placed.reason);
    else if (obj.size > limits.maxImageBytes) sink.skip(placed.name, 'FILE_TOO_LARGE');
    else await sink.add(placed, () => blobs.get(obj.key), obj.size);
  }
  if (entries === 0) throw new AppError(404, 'PREFIX_NOT_FOUND', `no objects under ${prefix} in bucket ${blobs.bucket}`);
}
