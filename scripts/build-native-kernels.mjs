// Builds the optional native kernel pack (src/engine/kernels/native) with node-gyp. Run by
// `npm install`, where it must never fail the install: without oneDNN's headers (Debian:
// libdnnl-dev) or a compiler it says why and exits 0, and the engine trains on the wasm kernels.
// `npm run build:native` passes --required and fails loudly instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const required = process.argv.includes('--required');
const dir = fileURLToPath(new URL('../src/engine/kernels/native/', import.meta.url));
const skip = (why) => {
  console.log(`native kernels not built: ${why}; training uses the wasm kernels`);
  process.exit(required ? 1 : 0);
};

if (process.env.SIMSIAM_NATIVE_KERNELS === 'off') skip('SIMSIAM_NATIVE_KERNELS=off');
const includeDirs = ['/usr/include', '/usr/local/include', ...(process.env.CPATH ?? '').split(':').filter(Boolean)];
if (!includeDirs.some((d) => existsSync(path.join(d, 'dnnl.hpp')))) skip('oneDNN headers not found (apt-get install libdnnl-dev)');

// npm exports its bundled node-gyp to lifecycle scripts; otherwise look next to npm itself
const nodeGyp = [process.env.npm_config_node_gyp, process.env.npm_execpath && path.join(path.dirname(process.env.npm_execpath), '../node_modules/node-gyp/bin/node-gyp.js')]
  .find((candidate) => candidate && existsSync(candidate));
if (!nodeGyp) skip('node-gyp not found');

const started = Date.now();
const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '-C', dir], { encoding: 'utf8' });
if (build.status !== 0) {
  console.log((build.stdout + build.stderr).trim().split('\n').slice(-15).join('\n'));
  skip(`node-gyp exited with ${build.status ?? build.signal}`);
}
console.log(`native kernels built in ${((Date.now() - started) / 1000).toFixed(0)} s (${path.join(dir, 'build/Release/simsiam_kernels.node')})`);
