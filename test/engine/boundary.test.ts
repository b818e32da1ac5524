// The engine is a library with its own contract: it imports nothing of the service, only itself,
// tfjs and Node (and tsx, which its thread entry registers to load TypeScript in a worker thread).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ENGINE = path.resolve(import.meta.dirname, '../../src/engine');
const ALLOWED = [/^node:/, /^@tensorflow\//, /^tsx\/esm\/api$/];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name === 'build' ? [] : sources(path.join(dir, e.name))) : /\.(ts|mjs)$/.test(e.name) ? [path.join(dir, e.name)] : [],
  );
}

test('src/engine imports only itself, tfjs and Node', () => {
  const files = sources(ENGINE);
  assert.ok(files.length > 30);
  const offending: string[] = [];
  for (const file of files) {
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const inside = specifier.startsWith('.') && path.resolve(path.dirname(file), specifier).startsWith(ENGINE + path.sep);
      if (!inside && !ALLOWED.some((re) => re.test(specifier))) offending.push(`${path.relative(ENGINE, file)}: ${specifier}`);
    }
  }
  assert.deepEqual(offending, []);
});
