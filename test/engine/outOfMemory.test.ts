// Running out of memory on the wasm backend (src/engine/outOfMemory.ts): a tensor the 32-bit heap
// cannot hold, or one of 4 GiB or more (which would reach malloc modulo 2^32), throws
// EngineOutOfMemoryError instead of handing out address 0 or a short buffer, and the backend
// still works afterwards; the classifier knows the other ways memory runs out and nothing else.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/engine/index.ts';
import { EngineOutOfMemoryError, isOutOfMemory, outOfMemoryAdvice } from '../../src/engine/outOfMemory.ts';

before(() => initBackend('wasm'));

for (const [what, shape] of [
  ['4 GiB less 64 KiB (more than the heap can grow to beside what it holds)', [65535, 16384]],
  ['6 GiB (past 32-bit sizes)', [3 * 2 ** 19, 1024]],
] as const) {
  test(`a tensor of ${what} on wasm: EngineOutOfMemoryError, and the backend goes on`, () => {
    const tensorsBefore = tf.memory().numTensors;
    assert.throws(() => tf.fill(shape as unknown as number[], 1), (err: unknown) => err instanceof EngineOutOfMemoryError && isOutOfMemory(err) && /wasm heap/.test(err.message));
    assert.equal(tf.memory().numTensors, tensorsBefore);
    const sum = tf.tidy(() => tf.sum(tf.add(tf.ones([1000]), 1)));
    assert.equal(sum.dataSync()[0], 2000);
    sum.dispose();
  });
}

test('isOutOfMemory: V8, emscripten, Node and the engine thread; not other errors', () => {
  const oom = [
    new RangeError('Array buffer allocation failed'),
    new WebAssembly.RuntimeError('Aborted(OOM). Build with -sASSERTIONS for more info.'),
    new Error('Cannot enlarge memory arrays to size 4294967296 bytes (OOM).'),
    Object.assign(new Error('Worker terminated due to reaching memory limit: JS heap out of memory'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }),
    // an engine thread's reply (client.ts carries the code over)
    Object.assign(new Error('anything'), { code: 'ENGINE_OUT_OF_MEMORY' }),
  ];
  const other = [new Error('checkpoint tensor x [3] does not fit the model'), new RangeError('Invalid array length'), new Error('connect ECONNREFUSED'), 'Out of memory'];
  for (const err of oom) assert.ok(isOutOfMemory(err), String(err));
  for (const err of other) assert.ok(!isOutOfMemory(err), String(err));
});

test('outOfMemoryAdvice: what to lower, and checkpointBlocks where it is off', () => {
  assert.match(outOfMemoryAdvice({ backbone: 'vit-tiny', batchSize: 128, imageSize: 32, checkpointBlocks: false }), /batchSize \(128\) or imageSize \(32\), or set checkpointBlocks: true/);
  assert.doesNotMatch(outOfMemoryAdvice({ backbone: 'vit-tiny', batchSize: 128, imageSize: 32, checkpointBlocks: true }), /checkpointBlocks/);
  assert.doesNotMatch(outOfMemoryAdvice({ backbone: 'resnet-tiny', batchSize: 128, imageSize: 32 }), /checkpointBlocks/);
});
