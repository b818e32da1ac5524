// Opaque, prefixed, URL-safe ids: the prefix tells a human what an id names; the rest is random.
import { randomBytes } from 'node:crypto';

export type IdPrefix = 'ten' | 'key' | 'ds' | 'img' | 'up' | 'job' | 'ckpt' | 'emb' | 'eval' | 'exp';

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomBytes(12).toString('base64url')}`;
}
