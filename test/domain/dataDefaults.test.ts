import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDataDefaults } from '../../src/domain/dataDefaults.ts';

test('data defaults: shape from the dataset, size capped, backbone by size, user values win', () => {
  assert.deepEqual(withDataDefaults({}, { channels: 1, medianSide: 28 }), { channels: 1, imageSize: 28, backbone: 'resnet-small' });
  assert.deepEqual(withDataDefaults({ epochs: 2 }, { channels: 3, medianSide: 96 }), { epochs: 2, channels: 3, imageSize: 96, backbone: 'resnet18' });
  assert.deepEqual(withDataDefaults({}, { channels: 3, medianSide: 4000 }), { channels: 3, imageSize: 224, backbone: 'resnet18' });
  assert.deepEqual(withDataDefaults({}, { channels: 1, medianSide: 5 }), { channels: 1, imageSize: 8, backbone: 'resnet-small' });
  assert.deepEqual(withDataDefaults({ imageSize: 100, channels: 1 }, { channels: 3, medianSide: 32 }), { imageSize: 100, channels: 1, backbone: 'resnet18' });
  // nothing known about the data, or a config that is not an object: left for validation to judge
  assert.deepEqual(withDataDefaults({ epochs: 1 }, undefined), { epochs: 1 });
  assert.equal(withDataDefaults('x', { channels: 1, medianSide: 28 }), 'x');
});
