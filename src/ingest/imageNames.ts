// What a stored image's name, label and split may be, for every ingest path: PostgreSQL text holds
// no NUL, and a label is a btree index key (a 6 000-character label overflowed the index row).
import type { PlacedImage } from './imagePath.ts';
import type { SkipReason } from './skips.ts';

export const MAX_LABEL_LENGTH = 200;
export const MAX_NAME_LENGTH = 1024;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const validLabel = (value: string | null) => value === null || (value.length <= MAX_LABEL_LENGTH && !CONTROL.test(value));

/** Why the image cannot be stored under these names, or undefined when it can. */
export function namesProblem(image: PlacedImage): SkipReason | undefined {
  // the label first: an over-long folder name makes the whole name over-long too
  if (!validLabel(image.label) || !validLabel(image.split)) return 'INVALID_LABEL';
  if (!image.name || image.name.length > MAX_NAME_LENGTH || image.name.includes('\0')) return 'INVALID_NAME';
  return undefined;
}
