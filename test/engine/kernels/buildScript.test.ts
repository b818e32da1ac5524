// The install-time build of the native kernel pack must never fail `npm install`: a skip prints
// why and exits 0, unless the build was asked for explicitly (npm run build:native).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/build-native-kernels.mjs', import.meta.url));
const run = (...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', env: { ...process.env, SIMSIAM_NATIVE_KERNELS: 'off' } });

test('a skipped native build says why and exits 0 at install, 1 when required', () => {
  const install = run();
  assert.equal(install.status, 0);
  assert.match(install.stdout, /native kernels not built: SIMSIAM_NATIVE_KERNELS=off; training uses the wasm kernels/);
  const required = run('--required');
  assert.equal(required.status, 1);
  assert.match(required.stdout, /native kernels not built/);
});
