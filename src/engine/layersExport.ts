// The trained backbone as a standard tfjs-layers model (model.json + weights.bin), so users load it
// with `tf.loadLayersModel` in any tfjs runtime, no code of ours needed. The graph mirrors
// backbones/resnet.ts layer for layer: PyTorch-style symmetric padding becomes ZeroPadding2D + a
// 'valid' conv, BN uses eps 1e-5 with the running statistics, and the output is the
// global-average-pooled feature vector. Input: images normalised as in training (see metadata).
import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './checkpoint.ts';
import type { ResNetSpec } from './backbones/resnet.ts';
import { blockOutChannels } from './backbones/shape.ts';
import { BN_EPS } from './batchNorm.ts';
import { NORMALIZATION } from './augment.ts';

export interface LayersModelBundle {
  /** model.json contents; its manifest points at `weights.bin` beside it */
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
}

type Sym = tf.SymbolicTensor;

export async function exportLayersModel(spec: ResNetSpec, channels: 1 | 3, backbone: NamedArray[], imageSize: number): Promise<LayersModelBundle> {
  const byName = new Map(backbone.map((t) => [t.name, t]));
  const assignments: Array<{ layer: tf.layers.Layer; names: string[] }> = [];
  const layerName = (name: string) => name.replaceAll('.', '_');

  const convBn = (name: string, x: Sym, out: number, k: number, stride: number): Sym => {
    const pad = Math.floor(k / 2);
    const padded = pad ? (tf.layers.zeroPadding2d({ padding: pad, name: layerName(`${name}.pad`) }).apply(x) as Sym) : x;
    const conv = tf.layers.conv2d({ filters: out, kernelSize: k, strides: stride, padding: 'valid', useBias: false, name: layerName(`${name}.conv`) });
    const bn = tf.layers.batchNormalization({ axis: -1, epsilon: BN_EPS, name: layerName(`${name}.bn`) });
    assignments.push({ layer: conv, names: [`${name}.conv.weight`] });
    assignments.push({ layer: bn, names: ['weight', 'bias', 'running_mean', 'running_var'].map((p) => `${name}.bn.${p}`) });
    return bn.apply(conv.apply(padded)) as Sym;
  };
  const relu = (x: Sym) => tf.layers.reLU().apply(x) as Sym;

  const input = tf.input({ shape: [null, null, channels], name: 'image' });
  let y = relu(convBn('stem', input, spec.stemWidth, spec.stem === 'imagenet' ? 7 : 3, spec.stem === 'imagenet' ? 2 : 1));
  if (spec.stem === 'imagenet') {
    // zero padding equals -inf padding here: the input of the pool is non-negative (after ReLU)
    y = tf.layers.zeroPadding2d({ padding: 1, name: 'stem_pool_pad' }).apply(y) as Sym;
    y = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'valid', name: 'stem_pool' }).apply(y) as Sym;
  }
  let inChannels = spec.stemWidth;
  spec.widths.forEach((width, stage) => {
    for (let i = 0; i < spec.depths[stage]; i++) {
      const name = `layer${stage + 1}.${i}`;
      const stride = stage > 0 && i === 0 ? 2 : 1;
      const out = blockOutChannels(spec.block, width);
      let b: Sym;
      if (spec.block === 'basic') {
        b = convBn(`${name}.2`, relu(convBn(`${name}.1`, y, width, 3, stride)), width, 3, 1);
      } else {
        b = relu(convBn(`${name}.1`, y, width, 1, 1));
        b = convBn(`${name}.3`, relu(convBn(`${name}.2`, b, width, 3, stride)), out, 1, 1);
      }
      const skip = stride === 1 && inChannels === out ? y : convBn(`${name}.downsample`, y, out, 1, stride);
      y = relu(tf.layers.add({ name: layerName(`${name}.add`) }).apply([b, skip]) as Sym);
      inChannels = out;
    }
  });
  const features = tf.layers.globalAveragePooling2d({ name: 'features' }).apply(y) as Sym;
  const model = tf.model({ inputs: input, outputs: features, name: 'simsiam_backbone' });

  for (const { layer, names } of assignments) {
    layer.setWeights(
      names.map((n) => {
        const t = byName.get(n);
        if (!t) throw new Error(`backbone has no parameter ${n}`);
        return tf.tensor(t.data, t.shape);
      }),
    );
  }

  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (a) => {
    artifacts = a;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  model.dispose();
  const weightData = artifacts!.weightData as ArrayBuffer;
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
      convertedBy: null,
      modelTopology: artifacts!.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts!.weightSpecs }],
      userDefinedMetadata: {
        description: 'SimSiam backbone: global-average-pooled features (the paper\'s pool-5)',
        preprocessing: {
          input: `[N, H, W, ${channels}] float32, pixels scaled to [0, 1], then (x - mean) / std`,
          mean: NORMALIZATION[channels].mean,
          std: NORMALIZATION[channels].std,
          trainedImageSize: imageSize,
          evalView: 'resize the shorter side to round(1.15 * size), centre crop size x size',
        },
      },
    },
    weights: new Uint8Array(weightData),
  };
}
