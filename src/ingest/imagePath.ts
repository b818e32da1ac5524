// The ImageFolder rule, shared by archives and S3 prefixes. A file's label is the name of the
// directory directly containing it and its split the directory above that, so `cat/x.png`,
// `train/cat/x.png` and `data/train/cat/x.png` all give label "cat" (the last two split "train").
// Top-level files are unlabeled. The rule looks at one path at a time, so it works while streaming;
// the one ambiguity it accepts: `wrapper/x.png` labels x "wrapper".
export interface PlacedImage {
  name: string;
  label: string | null;
  split: string | null;
}

export type Placement = ({ ok: true } & PlacedImage) | { ok: false; reason: 'PATH_TRAVERSAL' };

export function placeImagePath(raw: string): Placement {
  // names are never used as file-system paths, but an archive that tries to escape is refused anyway
  if (raw.startsWith('/') || raw.startsWith('\\') || /^[a-zA-Z]:/.test(raw) || raw.includes('\0')) {
    return { ok: false, reason: 'PATH_TRAVERSAL' };
  }
  const segments = raw.split(/[\\/]/).filter((s) => s !== '' && s !== '.');
  if (segments.includes('..') || segments.length === 0) return { ok: false, reason: 'PATH_TRAVERSAL' };
  const dirs = segments.slice(0, -1);
  return { ok: true, name: segments.join('/'), label: dirs.at(-1) ?? null, split: dirs.at(-2) ?? null };
}
