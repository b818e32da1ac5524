// The export conversion on its own, without the service: a backbone with non-trivial weights (every
// BN and LayerNorm made non-identity, biases, class token and positions random) exported from the
// engine must give, in PyTorch (torchvision's own ResNet-18 and -50, and the reference ViT under
// timm's names, strict load) and in onnxruntime, the features the engine computes, to 1e-4.
import { type TestContext, after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKBONE_SPECS, Trainer, evalView, featureDim, sincosPositionEmbedding } from '../../src/engine/index.ts';
import { toUnitRange } from '../../src/engine/augment.ts';
import { Prng } from '../../src/engine/prng.ts';
import { torchvisionName } from '../../src/export/torchvisionNames.ts';
import { hwioToOihw, transposeMatrix } from '../../src/export/torchState.ts';
import { timmVitState } from '../../src/export/timmVitState.ts';
import { encodeSafetensors } from '../../src/export/safetensors.ts';
import { type ExportFormat, encodeExport, modelMetadata } from '../../src/export/exportFile.ts';
import { toNchw, torchFeatures, torchTestOptions } from './torch.ts';
import { maxAbsDiff, randomImages, setupBackend, tinyConfig } from '../engine/helpers.ts';
import { onnxFeatures } from './onnxRuntime.ts';

/** A trainer whose norm parameters, statistics, biases and embeddings are random, so a misplaced tensor shows. */
function trainerWithRandomNorms(config: Record<string, unknown>): Trainer {
  const trainer = new Trainer(tinyConfig({ projectorDim: 16, ...config }), 1);
  const rng = new Prng(7);
  for (const p of trainer.method.store.list('backbone.')) {
    const n = p.variable.size;
    const values = (lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
    if (p.name.endsWith('.running_var') || (p.name.endsWith('.weight') && p.variable.rank === 1)) p.variable.assign(tf.tensor(values(0.5, 1.5), p.variable.shape));
    else if (/\.(bias|running_mean|cls_token|pos_embed)$/.test(p.name)) p.variable.assign(tf.tensor(values(-0.2, 0.2), p.variable.shape));
  }
  return trainer;
}

/** The file the service would serve for this trainer's backbone. */
const exported = (trainer: Trainer, format: ExportFormat) => encodeExport(format, trainer.exportBackbone(), 0, trainer.config, modelMetadata(trainer.config));

/**
 * 1e-4 relative to the largest feature: random BN statistics let features of a deep net grow to
 * hundreds, where float32 rounding alone exceeds 1e-4 absolute.
 */
function assertClose(ctx: TestContext, actual: Float32Array, expected: Float32Array, what: string) {
  const scale = Math.max(1, ...expected.map(Math.abs));
  const diff = maxAbsDiff(actual, expected);
  ctx.diagnostic(`max |${what} - engine| = ${diff}, largest feature ${scale}`);
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

  it('lays a ViT out as timm does: [out, in] linears, an OIHW patch kernel, the sin-cos table as pos_embed', () => {
    const arrays = [
      { name: 'patch_embed.proj.weight', shape: [1, 2, 2, 3], data: Float32Array.from({ length: 12 }, (_, k) => k) },
      { name: 'blocks.3.attn.qkv.weight', shape: [2, 3], data: Float32Array.of(1, 2, 3, 4, 5, 6) },
      { name: 'cls_token', shape: [1, 1, 4], data: Float32Array.of(1, 2, 3, 4) },
    ];
    const spec = { dim: 4, depth: 4, heads: 1, mlpRatio: 4 };
    const { floats, batchNorms } = timmVitState(arrays, spec, { patchSize: 2, posEmbed: 'sincos', pool: 'cls' }, 4);
    const byName = Object.fromEntries(floats.map((t) => [t.name, t]));
    assert.deepEqual(batchNorms, []);
    assert.deepEqual(byName['patch_embed.proj.weight'].shape, [3, 2, 1, 2]);
    assert.deepEqual(byName['patch_embed.proj.weight'].data, hwioToOihw(arrays[0].data, [1, 2, 2, 3]));
    assert.deepEqual(byName['blocks.3.attn.qkv.weight'], { name: 'blocks.3.attn.qkv.weight', shape: [3, 2], data: Float32Array.of(1, 4, 2, 5, 3, 6) });
    assert.deepEqual(byName.cls_token.shape, [1, 1, 4]);
    assert.deepEqual(byName.pos_embed.shape, [1, 5, 4], 'class token + 2x2 patches');
    assert.deepEqual(byName.pos_embed.data, sincosPositionEmbedding(2, 2, 4));
    const learned = timmVitState(arrays, spec, { patchSize: 2, posEmbed: 'learned', pool: 'cls' }, 4);
    assert.equal(learned.floats.some((t) => t.name === 'pos_embed'), false, 'a learned table is a backbone tensor of its own');
    assert.throws(() => timmVitState([{ name: 'projector.0.weight', shape: [1], data: new Float32Array(1) }], spec, { patchSize: 2, posEmbed: 'learned', pool: 'cls' }, 4), /no timm VisionTransformer name/);
    assert.deepEqual(transposeMatrix(Float32Array.of(1, 2, 3, 4, 5, 6), [3, 2]), Float32Array.of(1, 3, 5, 2, 4, 6));
  });

  const cases: Array<[string, Record<string, unknown>]> = [
    ['resnet18', { backbone: 'resnet18', imageSize: 32, channels: 3 }],
    ['resnet50', { backbone: 'resnet50', imageSize: 32, channels: 3 }],
    ['vit-micro, sin-cos positions, class token', { backbone: 'vit-micro', imageSize: 16, channels: 3, patchSize: 4, posEmbed: 'sincos', pool: 'cls' }],
    ['vit-micro, learned positions, mean of patches, grayscale', { backbone: 'vit-micro', imageSize: 16, channels: 1, patchSize: 8, posEmbed: 'learned', pool: 'mean' }],
  ];
  for (const [label, config] of cases) {
    describe(label, () => {
      let trainer: Trainer;
      let engine: ReturnType<typeof engineFeatures>;
      let dim: number;
      before(() => {
        trainer = trainerWithRandomNorms(config);
        engine = engineFeatures(trainer, 2);
        dim = featureDim(BACKBONE_SPECS[trainer.config.backbone]);
      });
      after(() => trainer.dispose());

      it("loads strictly into PyTorch (torchvision's ResNet, the reference ViT under timm's names) and gives the engine's features", torchTestOptions, async (ctx) => {
        const { features, report } = await torchFeatures(exported(trainer, 'safetensors'), engine.input);
        assert.deepEqual(report.shape, [2, dim]);
        assertClose(ctx, features, engine.features, 'torch');
      });

      it("as ONNX, gives the engine's features in onnxruntime", async (ctx) => {
        const out = await onnxFeatures(exported(trainer, 'onnx'), engine.input);
        assert.deepEqual(out.dims, [2, dim]);
        assertClose(ctx, out.features, engine.features, 'onnx');
      });
    });
  }
});
