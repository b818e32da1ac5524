// The backbone as an ONNX graph (opset 13): Conv, BatchNormalization (running statistics), Relu,
// Add, MaxPool, GlobalAveragePool, Flatten, walking the same ResNet description the engine trains
// (src/engine/backbones). Input `image` [N, C, H, W] float32, normalised as in training; output
// `features` [N, D], the global-average-pooled backbone output. Initializers carry the torchvision
// names of the safetensors export.
import onnxProto from 'onnx-proto';
import type { ResNetSpec } from '../engine/index.ts';
import type { TorchTensor } from './torchState.ts';

const { onnx } = onnxProto;

const OPSET = 13;
const IR_VERSION = 7;
// PyTorch's and the engine's BatchNorm epsilon
const BN_EPS = 1e-5;

const ints = (name: string, values: number[]) => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: values });
const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
const float = (name: string, f: number) => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f });

export interface OnnxExportOptions {
  spec: ResNetSpec;
  channels: number;
  featureDim: number;
  /** metadata_props of the model (preprocessing, source job) */
  metadata: Record<string, string>;
}

export function backboneOnnx(state: TorchTensor[], opts: OnnxExportOptions): Uint8Array {
  const { spec } = opts;
  const byName = new Map(state.map((t) => [t.name, t]));
  const nodes: Array<Record<string, unknown>> = [];
  const used = new Set<string>();
  const param = (name: string) => {
    if (!byName.has(name)) throw new Error(`backbone has no tensor ${name}`);
    used.add(name);
    return name;
  };
  let counter = 0;
  const node = (opType: string, inputs: string[], attribute: object[] = []) => {
    const output = `${opType.toLowerCase()}_${counter++}`;
    nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  };

  // conv (no bias) + BN; `bn` is the torchvision prefix of the BatchNorm2d
  const convBn = (x: string, weight: string, bn: string, k: number, stride: number) => {
    const pad = Math.floor(k / 2);
    const y = node('Conv', [x, param(weight)], [ints('kernel_shape', [k, k]), ints('strides', [stride, stride]), ints('pads', [pad, pad, pad, pad])]);
    const stats = ['weight', 'bias', 'running_mean', 'running_var'].map((p) => param(`${bn}.${p}`));
    return node('BatchNormalization', [y, ...stats], [float('epsilon', BN_EPS)]);
  };
  const relu = (x: string) => node('Relu', [x]);

  const imagenet = spec.stem === 'imagenet';
  let y = relu(convBn('image', 'conv1.weight', 'bn1', imagenet ? 7 : 3, imagenet ? 2 : 1));
  if (imagenet) y = node('MaxPool', [y], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1])]);
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
      const skip = byName.has(`${block}.downsample.0.weight`) ? convBn(y, `${block}.downsample.0.weight`, `${block}.downsample.1`, 1, stride) : y;
      y = relu(node('Add', [b, skip]));
    }
  });
  const pooled = node('GlobalAveragePool', [y]);
  nodes.push({ opType: 'Flatten', input: [pooled], output: ['features'], name: 'features', attribute: [int('axis', 1)] });

  const unused = state.filter((t) => !used.has(t.name));
  if (unused.length) throw new Error(`backbone tensors not in the graph: ${unused.map((t) => t.name).join(', ')}`);

  const floatType = (dims: Array<number | string>) => ({
    tensorType: {
      elemType: onnx.TensorProto.DataType.FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'simsiam-service',
    docString: 'SimSiam backbone: global-average-pooled features',
    metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: 'simsiam_backbone',
      node: nodes,
      initializer: [...used].map((name) => {
        const t = byName.get(name)!;
        return { name, dims: t.shape, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) };
      }),
      input: [{ name: 'image', type: floatType(['batch', opts.channels, 'height', 'width']) }],
      output: [{ name: 'features', type: floatType(['batch', opts.featureDim]) }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
