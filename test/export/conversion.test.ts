// The export conversion on its own, without the service: a backbone with non-trivial weights (every
// BN made non-identity) exported from the engine must give, in PyTorch (torchvision's own ResNet-18
// and -50, strict load) and in onnxruntime, the features the engine computes, to 1e-4.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKBONE_SPECS, Trainer, evalView, featureDim } from '../../src/engine/index.ts';
import { toUnitRange } from '../../src/engine/augment.ts';
import { Prng } from '../../src/engine/prng.ts';
import { torchvisionName } from '../../src/export/torchvisionNames.ts';
import { hwioToOihw, torchBackboneState } from '../../src/export/torchState.ts';
import { encodeSafetensors } from '../../src/export/safetensors.ts';
import { backboneOnnx } from '../../src/export/onnx.ts';
import { toNchw, torchFeatures, torchTestOptions } from './torch.ts';
import { maxAbsDiff, randomImages, setupBackend, tinyConfig } from '../engine/helpers.ts';
import { onnxFeatures } from './onnxRuntime.ts';

/** A trainer whose BN parameters and statistics are random, so a misplaced BN tensor shows. */
function trainerWithRandomBn(backbone: string, imageSize: number, channels: 1 | 3): Trainer {
  const trainer = new Trainer(tinyConfig({ backbone, imageSize, channels, projectorDim: 16 }), 1);
  const rng = new Prng(7);
  for (const p of trainer.method.store.list('backbone.')) {
    const n = p.variable.size;
    const values = (lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
    if (p.name.endsWith('.running_var') || (p.name.endsWith('.weight') && p.variable.rank === 1)) p.variable.assign(tf.tensor(values(0.5, 1.5), p.variable.shape));
    else if (p.name.endsWith('.bias') || p.name.endsWith('.running_mean')) p.variable.assign(tf.tensor(values(-0.2, 0.2), p.variable.shape));
  }
  return trainer;
}

function safetensorsOf(trainer: Trainer): Uint8Array {
  const { floats, batchNorms } = torchBackboneState(trainer.exportBackbone());
  return encodeSafetensors(
    [
      ...floats.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: new Uint8Array(t.data.buffer) })),
      ...batchNorms.map((bn) => ({ name: `${bn}.num_batches_tracked`, dtype: 'I64' as const, shape: [], data: new Uint8Array(8) })),
    ],
    { backbone: trainer.config.backbone, channels: String(trainer.config.channels) },
  );
}

/**
 * 1e-4 relative to the largest feature: random BN statistics let features of a deep net grow to
 * hundreds, where float32 rounding alone exceeds 1e-4 absolute.
 */
function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  const scale = Math.max(1, ...expected.map(Math.abs));
  const diff = maxAbsDiff(actual, expected);
  assert.ok(diff <= 1e-4 * scale, `max |${what} - engine| = ${diff}, largest feature ${scale}`);
}

/** The engine's features of random images and the normalised NCHW input that produced them. */
function engineFeatures(trainer: Trainer, n: number) {
  const { imageSize, channels } = trainer.config;
  const images = randomImages(n, imageSize, channels, 3);
  const features = trainer.features(images);
  const input = tf.tidy(() => toNchw(evalView(toUnitRange(images), imageSize)));
  return { features, input };
}

describe('backbone export conversion', () => {
  before(setupBackend);

  it('maps engine names to torchvision names', () => {
    assert.equal(torchvisionName('stem.conv.weight'), 'conv1.weight');
    assert.equal(torchvisionName('stem.bn.running_var'), 'bn1.running_var');
    assert.equal(torchvisionName('layer2.0.1.conv.weight'), 'layer2.0.conv1.weight');
    assert.equal(torchvisionName('layer4.2.3.bn.bias'), 'layer4.2.bn3.bias');
    assert.equal(torchvisionName('layer3.0.downsample.conv.weight'), 'layer3.0.downsample.0.weight');
    assert.equal(torchvisionName('layer3.0.downsample.bn.running_mean'), 'layer3.0.downsample.1.running_mean');
    assert.throws(() => torchvisionName('projector.0.weight'), /no torchvision name/);
  });

  it('transposes HWIO kernels to OIHW', () => {
    // kh=1, kw=2, in=2, out=3, each value its own HWIO flat index
    const hwio = Float32Array.from({ length: 12 }, (_, k) => k);
    const oihw = hwioToOihw(hwio, [1, 2, 2, 3]);
    // OIHW[o][i][0][w] = HWIO[0][w][i][o] = (w*2 + i)*3 + o
    for (let o = 0; o < 3; o++) for (let i = 0; i < 2; i++) for (let w = 0; w < 2; w++) assert.equal(oihw[(o * 2 + i) * 2 + w], (w * 2 + i) * 3 + o);
  });

  it('writes a safetensors header with contiguous, aligned offsets and metadata', () => {
    const bytes = encodeSafetensors(
      [
        { name: 'a', dtype: 'F32', shape: [3], data: new Uint8Array(new Float32Array([1, 2, 3]).buffer) },
        { name: 'n', dtype: 'I64', shape: [], data: new Uint8Array(8) },
      ],
      { backbone: 'resnet-tiny' },
    );
    const length = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal((8 + length) % 8, 0);
    const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8'));
    assert.deepEqual(header.__metadata__, { backbone: 'resnet-tiny' });
    assert.deepEqual(header.n, { dtype: 'I64', shape: [], data_offsets: [0, 8] });
    assert.deepEqual(header.a, { dtype: 'F32', shape: [3], data_offsets: [8, 20] });
    assert.equal(bytes.byteLength, 8 + length + 20);
    assert.deepEqual([...new Float32Array(bytes.slice(8 + length + 8).buffer)], [1, 2, 3]);
    assert.throws(() => encodeSafetensors([{ name: 'x', dtype: 'F32', shape: [2], data: new Uint8Array(4) }]), /needs 8/);
  });

  for (const backbone of ['resnet18', 'resnet50'] as const) {
    describe(backbone, () => {
      let trainer: Trainer;
      let engine: ReturnType<typeof engineFeatures>;
      before(() => {
        trainer = trainerWithRandomBn(backbone, 32, 3);
        engine = engineFeatures(trainer, 2);
      });
      after(() => trainer.dispose());

      it(`loads strictly into torchvision.models.${backbone}() and gives the engine's features`, torchTestOptions, async () => {
        const { features, report } = await torchFeatures(safetensorsOf(trainer), engine.input);
        assert.deepEqual(report.shape, [2, featureDim(BACKBONE_SPECS[backbone])]);
        assertClose(features, engine.features, 'torch');
      });

      it("as ONNX, gives the engine's features in onnxruntime", async () => {
        const { floats } = torchBackboneState(trainer.exportBackbone());
        const spec = BACKBONE_SPECS[backbone];
        assert.ok(spec.family === 'resnet');
        const out = await onnxFeatures(backboneOnnx(floats, { spec, channels: 3, featureDim: featureDim(spec), metadata: {} }), engine.input);
        assert.deepEqual(out.dims, [2, featureDim(spec)]);
        assertClose(out.features, engine.features, 'onnx');
      });
    });
  }
});
