// The trained backbone as a standard tfjs-layers model (model.json + weights.bin), so users load it
// with `tf.loadLayersModel` in any tfjs runtime, no code of ours needed. ResNets are built from the
// same topology description as training (backbones/resnet.ts over NetOps); ViTs from built-in
// layers only (vitLayers.ts). Input: images normalised as in training (see metadata).
import * as tf from '@tensorflow/tfjs';
import type { NamedArray } from './checkpoint.ts';
import { type ResNetSpec, resnetGraph } from './backbones/resnet.ts';
import type { NetOps } from './backbones/ops.ts';
import { BACKBONE_SPECS } from './backbones/specs.ts';
import type { BackboneName } from './backbones/names.ts';
import { type VitOptions, vitOptionsOf } from './backbones/vitOptions.ts';
import { vitLayersGraph } from './vitLayers.ts';
import { type LayersGraph, type WeightAssignment, layerName, parameterLookup } from './layersGraph.ts';
import { BN_EPS } from './batchNorm.ts';
import { NORMALIZATION } from './augment.ts';

export interface LayersModelBundle {
  /** model.json contents; its manifest points at `weights.bin` beside it */
  modelJson: Record<string, unknown>;
  weights: Uint8Array;
}

type Sym = tf.SymbolicTensor;

/** PyTorch-style symmetric padding becomes ZeroPadding2D + a 'valid' conv; BN uses the running statistics. */
function resnetLayersGraph(spec: ResNetSpec, channels: number, backbone: NamedArray[]): LayersGraph {
  const param = parameterLookup(backbone);
  const assignments: WeightAssignment[] = [];
  const pad = (name: string, x: Sym, padding: number) =>
    padding ? (tf.layers.zeroPadding2d({ padding, name: layerName(`${name}.pad`) }).apply(x) as Sym) : x;

  const ops: NetOps<Sym> = {
    convBn(name, x, out, k, stride) {
      const conv = tf.layers.conv2d({ filters: out, kernelSize: k, strides: stride, padding: 'valid', useBias: false, name: layerName(`${name}.conv`) });
      const bn = tf.layers.batchNormalization({ axis: -1, epsilon: BN_EPS, name: layerName(`${name}.bn`) });
      assignments.push({ layer: conv, values: [param(`${name}.conv.weight`)] });
      assignments.push({ layer: bn, values: ['weight', 'bias', 'running_mean', 'running_var'].map((p) => param(`${name}.bn.${p}`)) });
      return bn.apply(conv.apply(pad(name, x, Math.floor(k / 2)))) as Sym;
    },
    relu: (x) => tf.layers.reLU().apply(x) as Sym,
    add: (name, a, b) => tf.layers.add({ name: layerName(name) }).apply([a, b]) as Sym,
    // zero padding equals -inf padding here: the input of the pool is non-negative (after ReLU)
    maxPool: (name, x, k, stride) =>
      tf.layers.maxPooling2d({ poolSize: k, strides: stride, padding: 'valid', name: layerName(name) }).apply(pad(name, x, Math.floor(k / 2))) as Sym,
    globalAvgPool: (x) => tf.layers.globalAveragePooling2d({ name: 'features' }).apply(x) as Sym,
    channels: (x) => x.shape[3] as number,
    scope: (f) => f(),
  };
  const input = tf.input({ shape: [null, null, channels], name: 'image' });
  const features = resnetGraph(ops, spec, input);
  return { input, features, assignments, description: "global-average-pooled features (the paper's pool-5)" };
}

export interface ExportedBackboneConfig extends Partial<VitOptions> {
  backbone: BackboneName;
  channels: 1 | 3;
  imageSize: number;
}

export async function exportLayersModel(config: ExportedBackboneConfig, backbone: NamedArray[]): Promise<LayersModelBundle> {
  const { channels, imageSize } = config;
  const spec = BACKBONE_SPECS[config.backbone];
  const graph =
    spec.family === 'resnet' ? resnetLayersGraph(spec, channels, backbone) : vitLayersGraph(spec, vitOptionsOf(config), imageSize, channels, backbone);
  const model = tf.model({ inputs: graph.input, outputs: graph.features, name: 'simsiam_backbone' });
  for (const { layer, values } of graph.assignments) tf.tidy(() => layer.setWeights(values.map((v) => tf.tensor(v.data, v.shape))));

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
        description: `SimSiam backbone (${config.backbone}): ${graph.description}`,
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
