// Turns what the user dropped or picked into uploads with one progress figure. Archives (.tar,
// .tar.gz, .tgz) stream to /archive as they are; loose images go to /images as multipart batches,
// each file labelled by the folder that holds it (the ImageFolder rule the archive route uses).
// XMLHttpRequest, not fetch: only it reports upload progress.
import { authorization } from './api.ts';

export interface PickedFile {
  file: File;
  /** path inside what was dropped, e.g. `cat/1.png` */
  path: string;
}

export interface IngestTotals {
  added: number;
  duplicates: number;
  skippedCount: number;
}

const ARCHIVE = /\.(tar|tgz|tar\.gz)$/i;
const BATCH_FILES = 200;
const BATCH_BYTES = 16 * 1024 * 1024;

export const isArchive = (name: string) => ARCHIVE.test(name);

/** `a/b/cat/x.png` → `cat`; a file at the top is unlabeled. */
export function labelOf(path: string): string | null {
  const parts = path.split('/').filter(Boolean);
  return parts.length >= 2 ? parts[parts.length - 2] : null;
}

/**
 * A single dropped folder is the dataset's root: its own name is not a label. Several dropped
 * folders are label folders and keep their names.
 */
export function rootRelative(files: PickedFile[]): PickedFile[] {
  const roots = new Set(files.map((f) => (f.path.includes('/') ? f.path.split('/')[0] : '')));
  if (roots.size !== 1 || roots.has('')) return files;
  return files.map((f) => ({ ...f, path: f.path.slice(f.path.indexOf('/') + 1) }));
}

async function readDirectory(entry: FileSystemDirectoryEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const reader = entry.createReader();
  // readEntries answers in chunks until an empty one
  for (;;) {
    const chunk = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!chunk.length) return;
    for (const child of chunk) await readEntry(child, `${prefix}${entry.name}/`, out);
  }
}

async function readEntry(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  if (entry.isDirectory) return readDirectory(entry as FileSystemDirectoryEntry, prefix, out);
  const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
  out.push({ file, path: `${prefix}${file.name}` });
}

/** Files of a drop, folders walked recursively. */
export async function droppedFiles(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = [...transfer.items].map((item) => item.webkitGetAsEntry?.()).filter((e): e is FileSystemEntry => !!e);
  if (!entries.length) return [...transfer.files].map((file) => ({ file, path: file.name }));
  const out: PickedFile[] = [];
  for (const entry of entries) await readEntry(entry, '', out);
  return out;
}

/** Files of an <input type=file> (with webkitdirectory they carry their relative path). */
export function pickedFiles(list: FileList): PickedFile[] {
  return [...list].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

function send(url: string, body: Blob | FormData, contentType: string | undefined, onProgress: (loaded: number) => void): Promise<IngestTotals> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Authorization', authorization());
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.responseType = 'json';
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      const body = xhr.response as (IngestTotals & { error?: { code: string; message: string } }) | null;
      if (xhr.status >= 200 && xhr.status < 300 && body) resolve(body);
      else reject(new Error(body?.error ? `${body.error.code}: ${body.error.message}` : `upload failed with HTTP ${xhr.status}`));
    };
    xhr.onerror = () => reject(new Error('the upload was interrupted'));
    xhr.send(body);
  });
}

/** Loose images in batches, grouped by label so each group needs one `label` field. */
function batches(images: PickedFile[]): PickedFile[][] {
  const sorted = [...images].sort((a, b) => (labelOf(a.path) ?? '').localeCompare(labelOf(b.path) ?? ''));
  const out: PickedFile[][] = [];
  let current: PickedFile[] = [];
  let bytes = 0;
  for (const f of sorted) {
    if (current.length && (current.length >= BATCH_FILES || bytes + f.file.size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(f);
    bytes += f.file.size;
  }
  if (current.length) out.push(current);
  return out;
}

function multipart(batch: PickedFile[]): FormData {
  const form = new FormData();
  let label: string | null | undefined;
  for (const f of batch) {
    const l = labelOf(f.path);
    if (l !== label) form.append('label', l ?? '');
    label = l;
    form.append('file', f.file, f.file.name);
  }
  return form;
}

/** Uploads everything; `onProgress(fraction)` over all bytes. */
export async function upload(datasetId: string, picked: PickedFile[], onProgress: (fraction: number) => void): Promise<IngestTotals> {
  const files = rootRelative(picked);
  const archives = files.filter((f) => isArchive(f.path));
  const images = files.filter((f) => !isArchive(f.path));
  const total = files.reduce((n, f) => n + f.file.size, 0) || 1;
  const totals: IngestTotals = { added: 0, duplicates: 0, skippedCount: 0 };
  let done = 0;
  const add = (r: IngestTotals) => {
    totals.added += r.added;
    totals.duplicates += r.duplicates;
    totals.skippedCount += r.skippedCount;
  };
  for (const a of archives) {
    const type = /\.tar$/i.test(a.path) ? 'application/x-tar' : 'application/gzip';
    add(await send(`/v1/datasets/${datasetId}/archive`, a.file, type, (loaded) => onProgress((done + loaded) / total)));
    done += a.file.size;
  }
  for (const batch of batches(images)) {
    const size = batch.reduce((n, f) => n + f.file.size, 0);
    // multipart framing makes `loaded` run slightly past the files' bytes
    add(await send(`/v1/datasets/${datasetId}/images`, multipart(batch), undefined, (loaded) => onProgress((done + Math.min(loaded, size)) / total)));
    done += size;
  }
  onProgress(1);
  return totals;
}
