import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Trainer, initialLr } from '../../src/engine/index.ts';
import { randomImages, setupBackend, snapshot, tinyConfig } from './helpers.ts';

before(setupBackend);

test('20 steps: tensor count flat, lr follows the per-epoch cosine, monitors sane, weights move', () => {
  // batch 2 and one channel keep the cpu backend fast (its filter gradient is slow)
  const cfg = tinyConfig({ channels: 1, batchSize: 2, epochs: 4 });
  const stepsPerEpoch = 5;
  const trainer = new Trainer(cfg, stepsPerEpoch);
  const batch = randomImages(2, 9, 1);
  const before = snapshot(trainer.method.store.list().map((p) => p.variable));
  trainer.step(batch);
  const tensors = tf.memory().numTensors;
  for (let i = 1; i < 20; i++) {
    const epoch = Math.floor(i / stepsPerEpoch);
    assert.equal(trainer.epoch, epoch);
    const r = trainer.step(batch);
    assert.equal(tf.memory().numTensors, tensors, `step ${i} leaked`);
    assert.ok(Math.abs(r.lr - initialLr(cfg) * 0.5 * (1 + Math.cos((Math.PI * epoch) / 4))) < 1e-12);
    assert.ok(Number.isFinite(r.loss) && r.loss >= -1 - 1e-5 && r.loss <= 1 + 1e-5);
    assert.ok(r.zStd > 0 && r.zStd < 1 && r.pStd > 0 && r.pStd < 1);
  }
  assert.equal(trainer.completedSteps, 20);
  const after = snapshot(trainer.method.store.list().map((p) => p.variable));
  assert.ok(after.some((a, i) => a.some((v, j) => v !== before[i][j])));
  trainer.dispose();
});

test('fixPredictorLr: the predictor keeps the initial lr while the rest decays', () => {
  // the second step is in epoch 1 of 2, lr(scheduled) = init / 2; with momentum 0 and no weight decay the
  // update is exactly -lr * grad, so the predictor's step / the encoder's step ratio reveals the lrs
  const run = (fix: boolean) => {
    const t = new Trainer(tinyConfig({ fixPredictorLr: fix, epochs: 2, momentum: 0, weightDecay: 0, channels: 1 }), 1);
    t.step(randomImages(4, 9, 1, 1)); // epoch 0, both groups at init lr
    const w = t.method.store.get('predictor.out.fc.bias');
    const before = w.dataSync().slice();
    const lr = t.lr;
    t.step(randomImages(4, 9, 1, 2));
    const moved = Array.from(w.dataSync()).reduce((acc, v, i) => acc + Math.abs(v - before[i]), 0);
    t.dispose();
    return { moved, lr };
  };
  const fixed = run(true);
  const scheduled = run(false);
  assert.ok(Math.abs(fixed.lr - 0.5 * initialLr(tinyConfig())) < 1e-12); // epoch 1 of 2: cos(pi/2)
  // same gradients (identical runs up to the second update), different lr for the predictor
  const ratio = fixed.moved / scheduled.moved;
  const expected = initialLr(tinyConfig()) / scheduled.lr;
  assert.ok(Math.abs(ratio / expected - 1) < 1e-3, `ratio ${ratio} expected ${expected}`);
});

test('ablations run: no stop-gradient, no predictor, asymmetric, cross-entropy, 2-layer projector, no output BN', () => {
  const variants = [{ stopGradient: false }, { predictor: 'none' }, { symmetric: false }, { loss: 'cross-entropy' }, { projectorLayers: 2 }, { bn: 'hidden-only' }];
  for (const v of variants) {
    const t = new Trainer(tinyConfig({ ...v, channels: 1 }), 10);
    const r = t.step(randomImages(4, 9, 1));
    assert.ok(Number.isFinite(r.loss), JSON.stringify(v));
    t.dispose();
  }
  // without a predictor p = z: both monitors read the same tensor
  const t = new Trainer(tinyConfig({ predictor: 'none', channels: 1 }), 10);
  const r = t.step(randomImages(4, 9, 1));
  assert.equal(r.zStd, r.pStd);
  t.dispose();
});
