// Builds the dashboard's browser bundle (src/ui/app) with esbuild, in memory, once per process on
// first request. Nothing built is committed or written to disk, so a fresh clone serves the page
// its own sources describe, and a changed source is picked up on the next start.
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

export interface Bundle {
  js: string;
  css: string;
}

const ENTRY = fileURLToPath(new URL('./app/main.ts', import.meta.url));

export async function buildBundle(): Promise<Bundle> {
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    outdir: 'out',
    loader: { '.css': 'css' },
    logLevel: 'silent',
  });
  const file = (ext: string) => result.outputFiles.find((f) => f.path.endsWith(ext))?.text ?? '';
  return { js: file('.js'), css: file('.css') };
}

let built: Promise<Bundle> | undefined;

/** The bundle of this process; a failed build is retried on the next call. */
export function bundle(): Promise<Bundle> {
  built ??= buildBundle().catch((err) => {
    built = undefined;
    throw err;
  });
  return built;
}
