// An ImageFolder directory as a tar stream made while it is sent: entries keep their paths relative
// to the directory, so the service's rule (label = the folder holding the file, split = the one
// above) applies as it does to any archive. Hidden files and folders (.DS_Store, .git) are left out.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';

export interface FolderFile {
  /** where it is on disk */
  path: string;
  /** its name in the archive: relative to the folder, '/'-separated */
  name: string;
  size: number;
}

/** Every regular file under `dir` (following file symlinks, not directory ones), in name order. */
export async function listFolder(dir: string): Promise<FolderFile[]> {
  const files: FolderFile[] = [];
  const walk = async (at: string, prefix: string) => {
    const entries = await fs.promises.readdir(at, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const full = path.join(at, entry.name);
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(full, name);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        const stat = await fs.promises.stat(full).catch(() => undefined);
        if (stat?.isFile()) files.push({ path: full, name, size: stat.size });
      }
    }
  };
  await walk(dir, '');
  return files;
}

export interface PackHooks {
  /** file bytes read into the archive */
  onBytes(count: number): void;
  /** one more file is wholly in the archive */
  onFile(file: FolderFile): void;
}

/** The files as one tar, produced as fast as the reader takes it. */
export function packFolder(files: FolderFile[], hooks: PackHooks): AsyncIterable<Uint8Array> {
  const pack = tar.pack();
  (async () => {
    for (const file of files) {
      const source = fs.createReadStream(file.path).on('data', (chunk) => hooks.onBytes(chunk.length));
      await pipeline(source, pack.entry({ name: file.name, size: file.size, mode: 0o644 }));
      hooks.onFile(file);
    }
    pack.finalize();
  })().catch((err: Error) => pack.destroy(err));
  return pack as unknown as AsyncIterable<Uint8Array>;
}
