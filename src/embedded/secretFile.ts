// Secrets of the embedded default (database password, S3 keys, the API key), generated once per data
// directory and kept there readable by the owner only, so restarts reuse them.
import fs from 'node:fs/promises';
import path from 'node:path';

/** The secret in `file`, or a new one from `generate()` written there with mode 0600. */
export async function secretFile(file: string, generate: () => string): Promise<string> {
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing) {
      await fs.chmod(file, 0o600);
      return existing;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const secret = generate();
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, `${secret}\n`, { mode: 0o600 });
  await fs.chmod(file, 0o600);
  return secret;
}
