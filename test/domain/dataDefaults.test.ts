import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDataDefaults } from '../../src/domain/dataDefaults.ts';
import { resolveTrainingConfig } from '../../src/domain/trainingConfig.ts';

const GRAY_OFF = { saturation: 0, hue: 0, grayscaleProb: 0 };

test('data defaults: shape from the dataset, size capped, backbone by size, user values win', () => {
  assert.deepEqual(withDataDefaults({}, { channels: 1, medianSide: 28 }), { channels: 1, imageSize: 28, backbone: 'resnet-small', augment: GRAY_OFF });
  assert.deepEqual(withDataDefaults({ epochs: 2 }, { channels: 3, medianSide: 96 }), { epochs: 2, channels: 3, imageSize: 96, backbone: 'resnet18' });
  assert.deepEqual(withDataDefaults({}, { channels: 3, medianSide: 4000 }), { channels: 3, imageSize: 224, backbone: 'resnet18' });
  assert.deepEqual(withDataDefaults({}, { channels: 1, medianSide: 5 }), { channels: 1, imageSize: 8, backbone: 'resnet-small', augment: { ...GRAY_OFF, cropScaleMin: 0.5 } });
  assert.deepEqual(withDataDefaults({ imageSize: 100, channels: 1 }, { channels: 3, medianSide: 32 }), { imageSize: 100, channels: 1, backbone: 'resnet18', augment: GRAY_OFF });
  // nothing known about the data, or a config that is not an object: left for validation to judge
  assert.deepEqual(withDataDefaults({ epochs: 1 }, undefined), { epochs: 1 });
  assert.equal(withDataDefaults('x', { channels: 1, medianSide: 28 }), 'x');
});

test('grayscale data: colour ops echoed as off, brightness and contrast kept, a user colour op kept', () => {
  const config = withDataDefaults({}, { channels: 1, medianSide: 28 });
  const resolved = resolveTrainingConfig(config);
  assert.ok('config' in resolved);
  const { augment } = resolved.config;
  assert.deepEqual([augment.saturation, augment.hue, augment.grayscaleProb], [0, 0, 0]);
  assert.deepEqual([augment.brightness, augment.contrast, augment.horizontalFlip], [0.4, 0.4, true]);
  assert.deepEqual(withDataDefaults({ augment: { hue: 0.2 } }, { channels: 1, medianSide: 28 }), {
    channels: 1, imageSize: 28, backbone: 'resnet-small', augment: { ...GRAY_OFF, hue: 0.2 },
  });
  // colour data keeps the paper's colour ops
  assert.equal((withDataDefaults({}, { channels: 3, medianSide: 32 }) as { augment?: unknown }).augment, undefined);
});

test('small images: the crop floor keeps at least ~12 px of side; 28 px and up keep the paper 0.2', () => {
  const cropMin = (side: number, given: object = {}) =>
    ((withDataDefaults(given, { channels: 3, medianSide: side }) as { augment?: { cropScaleMin?: number } }).augment?.cropScaleMin);
  assert.equal(cropMin(32), undefined);
  assert.equal(cropMin(28), undefined);
  assert.equal(cropMin(24), 0.25);
  assert.equal(cropMin(16), 0.5);
  assert.equal(cropMin(16, { augment: { cropScaleMin: 0.1 } }), 0.1, 'the user value wins');
  assert.equal(cropMin(16, { imageSize: 64 }), undefined, 'decided on the size trained at, not the stored one');
});

test('few images: a batch that fits twice and enough epochs to see 100k images, unless the user chose', () => {
  const fill = (given: object, count: number) => withDataDefaults(given, { channels: 3, medianSide: 32, count }) as Record<string, unknown>;
  const big = fill({}, 60_000);
  assert.equal(big.batchSize, undefined);
  assert.equal(big.epochs, undefined, '60k images: the default 20 epochs already see 1.2M');
  const few = fill({}, 1000);
  assert.equal(few.batchSize, undefined, '1000 images hold a batch of 128 twice');
  assert.equal(few.epochs, 112, '7 steps of 128 an epoch: 100k images take 112 epochs');
  const tiny = fill({}, 100);
  assert.equal(tiny.batchSize, 32);
  assert.equal(tiny.epochs, 500, 'capped');
  assert.equal(fill({ epochs: 5 }, 100).epochs, 5);
  assert.equal(fill({ budget: { minutes: 2 } }, 100).epochs, undefined, 'a budget decides epochs instead');
  assert.equal(fill({ batchSize: 8 }, 100).batchSize, 8);
});
