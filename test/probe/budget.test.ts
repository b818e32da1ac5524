import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config.ts';
import { jobTrainingConfig } from '../../src/domain/trainingConfig.ts';
import { probeOverBudget } from '../../src/probe/budget.ts';

const limit = loadConfig({}).probeMaxMatrixBytes;

test('the default limit fits a resnet50 probe of 70 000 images at 224 px, but not its raw-pixel baseline', () => {
  const config = jobTrainingConfig({ backbone: 'resnet50', imageSize: 224, channels: 3 });
  assert.equal(limit, 4 * 1024 ** 3);
  assert.equal(probeOverBudget(config, 70_000, [], limit), null, '2048-d features: 0.57 GB');
  assert.equal(probeOverBudget(config, 70_000, ['random-init'], limit), null, 'two feature sets: 1.1 GB');
  // decoded at 258x258x3 (1.15x side, as for training): 0.8 MB of floats per image
  const over = probeOverBudget(config, 70_000, ['raw-pixels'], limit);
  assert.equal(over?.bytes, 70_000 * (2048 + 258 * 258 * 3) * 4);
  assert.match(over!.message, /70000 images needs 52\.61 GiB .* limit of 4\.00 GiB \(PROBE_MAX_MATRIX_BYTES\)/);
});

test('Fashion-MNIST at full size probes with both baselines under the default limit', () => {
  const config = jobTrainingConfig({ backbone: 'resnet-small', imageSize: 28, channels: 1 });
  assert.equal(probeOverBudget(config, 70_000, ['random-init', 'raw-pixels'], limit), null);
});
