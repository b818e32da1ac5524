// AdamW's own rules, beside the PyTorch comparison in test/reference/adamw.test.ts: which parameters
// are decayed, the per-parameter update counts, and gradient clipping by global norm.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { AdamW, decayExcluded } from '../../src/engine/optim/adamw.ts';
import { clipByGlobalNorm } from '../../src/engine/optim/clip.ts';
import { type Param, variableFrom } from '../../src/engine/params.ts';
import { setupBackend } from './helpers.ts';

before(setupBackend);

const param = (name: string, shape: number[]): Param => ({ name, variable: variableFrom(tf.ones(shape), true), trainable: true });

test('AdamW decays weights only: not norms, biases, position embeddings or the class token', () => {
  const params = [
    param('projector.0.fc.weight', [3, 2]),
    param('projector.0.bn.weight', [2]),
    param('projector.out.fc.bias', [2]),
    param('backbone.pos_embed', [1, 5, 2]),
    param('backbone.cls_token', [1, 1, 2]),
  ];
  assert.deepEqual(params.map(decayExcluded), [false, true, true, true, true]);
  const adamw = new AdamW(params.map((p) => ({ param: p, group: 'scheduled' as const })), 0.1);
  // zero gradients: the Adam step is 0, so only the decay moves a parameter
  adamw.step(params.map((p) => tf.zerosLike(p.variable)), { scheduled: 0.5, fixed: 0.5 });
  const values = params.map((p) => p.variable.dataSync()[0]);
  assert.equal(values[0], Math.fround(1 - 0.5 * 0.1));
  assert.deepEqual(values.slice(1), [1, 1, 1, 1]);
  adamw.step([tf.onesLike(params[0].variable), undefined, undefined, undefined, undefined], { scheduled: 0.5, fixed: 0.5 });
  assert.deepEqual([...adamw.buffers().find((b) => b.name === 'adamw.steps')!.variable.dataSync()], [2, 1, 1, 1, 1], 'a skipped parameter does not count');
  adamw.dispose();
  for (const p of params) p.variable.dispose();
});

test('clipping by global norm scales every gradient by maxNorm / |g| when |g| is larger, else leaves them', () => {
  const grads = [tf.tensor1d([3, 0]), undefined, tf.tensor1d([4])];
  const clipped = clipByGlobalNorm(grads, 1);
  assert.equal(clipped[1], undefined);
  const [a, , b] = clipped.map((g) => g && [...g.dataSync()]);
  assert.ok(Math.abs(a![0] - 0.6) < 1e-6 && a![1] === 0 && Math.abs(b![0] - 0.8) < 1e-6, `${a} ${b}`);
  const kept = clipByGlobalNorm(grads, 10).map((g) => g && [...g.dataSync()]);
  assert.deepEqual(kept, [[3, 0], undefined, [4]]);
});
