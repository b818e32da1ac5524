// What every ONNX export shares: nodes added in order, the backbone's tensors as initializers under
// their PyTorch names (each must end up in the graph, so a tensor the graph forgot is an error, not a
// silently missing weight), constants, and the model around them.
import onnxProto from 'onnx-proto';
import type { TorchTensor } from './torchState.ts';

const { onnx } = onnxProto;
const { AttributeType } = onnx.AttributeProto;
const { DataType } = onnx.TensorProto;

export type Attribute = Record<string, unknown>;
export const ints = (name: string, values: number[]): Attribute => ({ name, type: AttributeType.INTS, ints: values });
export const int = (name: string, i: number): Attribute => ({ name, type: AttributeType.INT, i });
export const float = (name: string, f: number): Attribute => ({ name, type: AttributeType.FLOAT, f });

const bytesOf = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export interface OnnxModelOptions {
  opset: number;
  irVersion: number;
  docString: string;
  /** the graph's input `image`: [batch, C, H, W], a string for a free dimension */
  input: Array<number | string>;
  /** the graph's output `features` */
  output: Array<number | string>;
  /** metadata_props of the model (preprocessing, source job) */
  metadata: Record<string, string>;
}

export class OnnxGraph {
  private readonly byName: Map<string, TorchTensor>;
  private readonly used = new Set<string>();
  private readonly nodes: Attribute[] = [];
  private readonly constants: Attribute[] = [];
  private counter = 0;

  constructor(private readonly state: TorchTensor[]) {
    this.byName = new Map(state.map((t) => [t.name, t]));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** A backbone tensor, as an initializer of the graph. */
  param(name: string): string {
    if (!this.byName.has(name)) throw new Error(`backbone has no tensor ${name}`);
    this.used.add(name);
    return name;
  }

  /** An int64 constant (shapes, indices, axes); a number is a scalar. */
  int64(values: number[] | number): string {
    const name = `const_${this.counter++}`;
    const list = typeof values === 'number' ? [values] : values;
    const dims = typeof values === 'number' ? [] : [values.length];
    this.constants.push({ name, dims, dataType: DataType.INT64, rawData: bytesOf(BigInt64Array.from(list, BigInt)) });
    return name;
  }

  /** A float32 scalar constant. */
  scalar(value: number): string {
    const name = `const_${this.counter++}`;
    this.constants.push({ name, dims: [], dataType: DataType.FLOAT, rawData: bytesOf(Float32Array.of(value)) });
    return name;
  }

  /** Adds a node; its one output is named after it, or `output` (the graph's own output). */
  node(opType: string, inputs: string[], attribute: Attribute[] = [], output = `${opType.toLowerCase()}_${this.counter++}`): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute });
    return output;
  }

  encode(opts: OnnxModelOptions): Uint8Array {
    const unused = this.state.filter((t) => !this.used.has(t.name));
    if (unused.length) throw new Error(`backbone tensors not in the graph: ${unused.map((t) => t.name).join(', ')}`);
    const floatType = (dims: Array<number | string>) => ({
      tensorType: {
        elemType: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: opts.irVersion,
      opsetImport: [{ domain: '', version: opts.opset }],
      producerName: 'simsiam-service',
      docString: opts.docString,
      metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })),
      graph: {
        name: 'simsiam_backbone',
        node: this.nodes,
        initializer: [
          ...[...this.used].map((name) => {
            const t = this.byName.get(name)!;
            return { name, dims: t.shape, dataType: DataType.FLOAT, rawData: bytesOf(t.data) };
          }),
          ...this.constants,
        ],
        input: [{ name: 'image', type: floatType(opts.input) }],
        output: [{ name: 'features', type: floatType(opts.output) }],
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
