import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Sgd } from '../../src/engine/optim/sgd.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { Prng } from '../../src/engine/index.ts';
import { maxAbsDiff, setupBackend } from './helpers.ts';

before(setupBackend);

/** torch.optim.SGD(momentum=m, weight_decay=wd, dampening=0, nesterov=False).step(), written out. */
function torchSgd(p: number[], buf: number[] | null, g: number[], lr: number, m: number, wd: number) {
  const d = g.map((gi, i) => gi + wd * p[i]);
  const b = buf ? buf.map((bi, i) => m * bi + d[i]) : d.slice(); // first step: buf = d_p
  return { p: p.map((pi, i) => pi - lr * b[i]), buf: b };
}

test('three steps with momentum and weight decay match PyTorch SGD; groups take their own lr', () => {
  const store = new ParamStore(new Prng(0));
  const a = store.getOrCreate('a', [3], { kind: 'constant', value: 0 });
  const b = store.getOrCreate('predictor.b', [2], { kind: 'constant', value: 0 });
  a.assign(tf.tensor1d([0.5, -1, 2]));
  b.assign(tf.tensor1d([1, 3]));
  const [pa, pb] = store.list();
  const sgd = new Sgd([{ param: pa, group: 'scheduled' }, { param: pb, group: 'fixed' }], 0.9, 0.01);
  let refA = { p: [0.5, -1, 2], buf: null as number[] | null };
  let refB = { p: [1, 3], buf: null as number[] | null };
  const gradsA = [[0.1, 0.2, -0.3], [1, -1, 0.5], [0, 0.3, 0.3]];
  const gradsB = [[-2, 1], [0.5, 0.5], [1, 0]];
  const lrs = [0.1, 0.05, 0.02];
  for (let s = 0; s < 3; s++) {
    sgd.step([tf.tensor1d(gradsA[s]), tf.tensor1d(gradsB[s])], { scheduled: lrs[s], fixed: 0.3 });
    refA = torchSgd(refA.p, refA.buf, gradsA[s], lrs[s], 0.9, 0.01);
    refB = torchSgd(refB.p, refB.buf, gradsB[s], 0.3, 0.9, 0.01);
  }
  assert.ok(maxAbsDiff(a.dataSync(), refA.p) < 1e-6, `${a.dataSync()} vs ${refA.p}`);
  assert.ok(maxAbsDiff(b.dataSync(), refB.p) < 1e-6);
  assert.ok(maxAbsDiff(sgd.buffers()[0].variable.dataSync(), refA.buf!) < 1e-6);
  assert.deepEqual(sgd.buffers().map((x) => x.name), ['momentum/a', 'momentum/predictor.b']);
});

test('a parameter without gradient is left alone (no decay, no momentum), like PyTorch', () => {
  const store = new ParamStore(new Prng(0));
  const a = store.getOrCreate('a', [2], { kind: 'constant', value: 1 });
  const sgd = new Sgd([{ param: store.list()[0], group: 'scheduled' }], 0.9, 0.1);
  sgd.step([undefined], { scheduled: 0.1, fixed: 0.1 });
  assert.deepEqual([...a.dataSync()], [1, 1]);
});
