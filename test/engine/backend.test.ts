import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { canTrainConvolutions, initBackend } from '../../src/engine/index.ts';
import { loadNativeKernels } from '../../src/engine/kernels/native/index.ts';

// SIMSIAM_BACKEND is read at call time; each case restores it
async function withEnv<T>(value: string | undefined, run: () => Promise<T>): Promise<T> {
  const saved = process.env.SIMSIAM_BACKEND;
  if (value === undefined) delete process.env.SIMSIAM_BACKEND;
  else process.env.SIMSIAM_BACKEND = value;
  try {
    return await run();
  } finally {
    if (saved === undefined) delete process.env.SIMSIAM_BACKEND;
    else process.env.SIMSIAM_BACKEND = saved;
  }
}

test('explicit cpu; the env variable overrides the caller; bad values and missing backends fail loudly', async () => {
  assert.deepEqual(await withEnv(undefined, () => initBackend('cpu')), { backend: 'cpu', threads: 1 });
  assert.equal((await withEnv('cpu', () => initBackend('wasm'))).backend, 'cpu');
  await assert.rejects(withEnv('gpu', () => initBackend()), /SIMSIAM_BACKEND must be one of/);
  // where tfjs-node is not installed, asking for it is an error, not a silent fallback
  const specifier = '@tensorflow/tfjs-node';
  const hasNode = await import(specifier).then(() => true, () => false);
  if (!hasNode) await assert.rejects(withEnv(undefined, () => initBackend('tensorflow')), /not available/);
});

test('auto: the chosen backend can train convolutions (wasm only with the registered kernels)', async () => {
  const info = await withEnv(undefined, () => initBackend());
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(info.backend));
  assert.equal(tf.getBackend(), info.backend);
  assert.ok(canTrainConvolutions());
  assert.ok(info.threads >= 1);
  // on wasm the info says which kernels train: the native pack wherever it is built
  if (info.backend === 'wasm') assert.equal(info.kernels, loadNativeKernels() ? 'native' : 'wasm');
});
