import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKBONES } from '../../src/domain/trainingConfig.ts';
import type { SimSiam } from '../../src/engine/index.ts';
import { setupBackend, tinyConfig, tinySimSiam } from './helpers.ts';

before(setupBackend);

const trainableCount = (m: SimSiam, prefix: string) =>
  m.store.list(prefix).filter((p) => p.trainable).reduce((n, p) => n + p.variable.size, 0);

test('ResNet-18 and ResNet-50 have torchvision parameter counts (without the fc layer)', () => {
  for (const [backbone, expected, dim] of [['resnet18', 11_176_512, 512], ['resnet50', 23_508_032, 2048]] as const) {
    const m = tinySimSiam(({ backbone, projectorDim: 8, predictorHiddenDim: 4 }));
    assert.equal(trainableCount(m, 'backbone.'), expected, backbone);
    assert.equal(m.featureDim, dim);
    // ImageNet stem (7x7/2 + max-pool) on an odd size
    tf.tidy(() => assert.deepEqual(m.backbone(tf.zeros([1, 13, 13, 3]) as tf.Tensor4D, false).shape, [1, dim]));
    m.dispose();
  }
});

test('CIFAR-stem backbones: any channel count and size, features [N, featureDim], z and p [N, d]', () => {
  const cases = [['resnet-tiny', 1, 8], ['resnet-small', 3, 12], ['resnet18-cifar', 3, 9]] as const;
  for (const [backbone, channels, size] of cases) {
    const m = tinySimSiam(({ backbone, channels, projectorDim: 8 }));
    tf.tidy(() => {
      const x = tf.randomUniform([3, size, size, channels]) as tf.Tensor4D;
      assert.deepEqual(m.backbone(x, false).shape, [3, m.featureDim]);
      const z = m.encode('', x, true);
      assert.deepEqual(z.shape, [3, 8]);
      assert.deepEqual(m.predict(z, true).shape, [3, 8]);
    });
    m.dispose();
  }
});

test('zero-init residual: the last BN gamma of every block is 0, every other gamma 1', () => {
  const m = tinySimSiam(({ backbone: 'resnet-small' }));
  const gammas = m.store.list('backbone.').filter((p) => p.name.endsWith('.bn.weight'));
  const last = gammas.filter((p) => /^backbone\.layer\d\.\d\.2\.bn/.test(p.name));
  assert.equal(last.length, 6);
  for (const g of gammas) {
    const values = new Set(g.variable.dataSync());
    assert.deepEqual([...values], [last.includes(g) ? 0 : 1], g.name);
  }
  m.dispose();
});

test('projector layers, output BN and predictor shape follow the config; no predictor in the "none" ablation', () => {
  const names = (overrides: Record<string, unknown>) => {
    const m = tinySimSiam((overrides));
    const n = m.store.list().map((p) => p.name);
    m.dispose();
    return n;
  };
  const three = names({});
  assert.ok(three.includes('projector.1.fc.weight') && !three.includes('projector.out.bn.weight'));
  assert.ok(three.includes('projector.out.bn.running_var'));
  assert.ok(!names({ projectorLayers: 2 }).includes('projector.1.fc.weight'));
  assert.ok(!three.includes('projector.out.fc.bias'));
  // table 4 ablation: the output fc gets a bias instead of the BN
  const noOutputBn = names({ bn: 'hidden-only' });
  assert.ok(noOutputBn.includes('projector.out.fc.bias') && !noOutputBn.some((n) => n.startsWith('projector.out.bn.')));
  assert.ok(three.includes('predictor.out.fc.bias') && !three.includes('predictor.0.fc.bias'));
  assert.ok(!names({ predictor: 'none' }).some((n) => n.startsWith('predictor.')));
  // predictor hidden width defaults to d/4
  const m = tinySimSiam(({ projectorDim: 32 }));
  assert.deepEqual(m.store.get('predictor.0.fc.weight').shape, [32, 8]);
  m.dispose();
});
