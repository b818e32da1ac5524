import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { jobTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { probeOverBudget } from '../../src/probe/budget.ts';
import { rawPixelSpec } from '../../src/probe/baselines.ts';

const limit = loadConfig({}).probeMaxMatrixBytes;

test('the default limit fits a resnet50 probe of 70 000 images at 224 px, but not its raw-pixel baseline', () => {
  const config = jobTrainingConfig({ backbone: 'resnet50', imageSize: 224, channels: 3 });
  // raw pixels at the images' native 256x256x3: 0.8 MB of floats per image
  const native = rawPixelSpec({ channels: 3, medianSide: 256 });
  assert.equal(limit, 4 * 1024 ** 3);
  assert.equal(probeOverBudget(config, 70_000, [], native, limit), null, '2048-d features: 0.57 GB');
  assert.equal(probeOverBudget(config, 70_000, ['random-init'], native, limit), null, 'two feature sets: 1.1 GB');
  const over = probeOverBudget(config, 70_000, ['raw-pixels'], native, limit);
  assert.equal(over?.bytes, 70_000 * (2048 + 256 * 256 * 3) * 4);
  assert.match(over!.message, /70000 images needs 51\.80 GiB .* limit of 4\.00 GiB \(PROBE_MAX_MATRIX_BYTES\)/);
});

test('Fashion-MNIST at full size probes with both baselines under the default limit', () => {
  const config = jobTrainingConfig({ backbone: 'resnet-small', imageSize: 28, channels: 1 });
  const native = rawPixelSpec({ channels: 1, medianSide: 28 });
  assert.deepEqual(native, { size: 28, channels: 1 }, 'raw pixels are 784-d, not resampled to the decode size');
  assert.equal(probeOverBudget(config, 70_000, ['random-init', 'raw-pixels'], native, limit), null);
});
