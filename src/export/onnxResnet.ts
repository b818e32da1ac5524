// A ResNet backbone as an ONNX graph (opset 13): Conv, BatchNormalization (running statistics), Relu,
// Add, MaxPool, GlobalAveragePool, Flatten, walking the same ResNet description the engine trains
// (src/engine/backbones). Input `image` [N, C, H, W] float32 of any size, normalised as in training;
// output `features` [N, D], the global-average-pooled backbone output. Initializers carry the
// torchvision names of the safetensors export.
import type { ResNetSpec } from '../engine/index.ts';
import type { TorchTensor } from './torchState.ts';
import { OnnxGraph, float, int, ints } from './onnxGraph.ts';

// PyTorch's and the engine's BatchNorm epsilon
const BN_EPS = 1e-5;

export interface ResnetOnnxOptions {
  spec: ResNetSpec;
  channels: number;
  featureDim: number;
  /** metadata_props of the model (preprocessing, source job) */
  metadata: Record<string, string>;
}

export function resnetOnnx(state: TorchTensor[], opts: ResnetOnnxOptions): Uint8Array {
  const { spec } = opts;
  const g = new OnnxGraph(state);

  // conv (no bias) + BN; `bn` is the torchvision prefix of the BatchNorm2d
  const convBn = (x: string, weight: string, bn: string, k: number, stride: number) => {
    const pad = Math.floor(k / 2);
    const y = g.node('Conv', [x, g.param(weight)], [ints('kernel_shape', [k, k]), ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad])]);
    const stats = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => g.param(`${bn}.${p}`));
    return g.node('BatchNormalization', [y, ...stats], [float('epsilon', BN_EPS)]);
  };
  const relu = (x: string) => g.node('Relu', [x]);

  const imagenet = spec.stem === 'imagenet';
  let y = relu(convBn('image', 'conv1.weight', 'bn1', imagenet ? 7 : 3, imagenet ? 2 : 1));
  if (imagenet) y = g.node('MaxPool', [y], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
  spec.widths.forEach((width, stage) => {
    for (let i = 0; i < spec.depths[stage]; i++) {
      const block = `layer${stage + 1}.${i}`;
      const stride = stage > 0 && i === 0 ? 2 : 1;
      let b: string;
      if (spec.block === 'basic') {
        b = relu(convBn(y, `${block}.conv1.weight`, `${block}.bn1`, 3, stride));
        b = convBn(b, `${block}.conv2.weight`, `${block}.bn2`, 3, 1);
      } else {
        b = relu(convBn(y, `${block}.conv1.weight`, `${block}.bn1`, 1, 1));
        b = relu(convBn(b, `${block}.conv2.weight`, `${block}.bn2`, 3, stride));
        b = convBn(b, `${block}.conv3.weight`, `${block}.bn3`, 1, 1);
      }
      // a projection shortcut exists exactly where the block changes shape
      const skip = g.has(`${block}.downsample.0.weight`) ? convBn(y, `${block}.downsample.0.weight`, `${block}.downsample.1`, 1, stride) : y;
      y = relu(g.node('Add', [b, skip]));
    }
  });
  g.node('Flatten', [g.node('GlobalAveragePool', [y])], [int('axis', 1)], 'features');

  return g.encode({
    opset: 13,
    irVersion: 7,
    docString: 'SimSiam backbone: global-average-pooled features',
    input: ['batch', opts.channels, 'height', 'width'],
    output: ['batch', opts.featureDim],
    metadata: opts.metadata,
  });
}
