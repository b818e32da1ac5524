// Spike: oneDNN convolutions as wasm-backend kernels. tfjs-wasm tensors live in the wasm heap, an
// ordinary ArrayBuffer, so the addon reads and writes them in place through heap views: no copies,
// and every other op stays on wasm. Opt-in only (bench/train.ts --kernels native); dilated or
// non-NHWC convolutions fall back to the kernels registered before.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { ConvKind, type ConvGeometry, type NativeConv, loadNativeConv, runConv } from './index.ts';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;

function geometry(info: Conv2DInfo): ConvGeometry {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, ci: info.inChannels,
    kh: info.filterHeight, kw: info.filterWidth, co: info.outChannels, oh: info.outHeight, ow: info.outWidth,
    strideH: info.strideHeight, strideW: info.strideWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left, padBottom: info.padInfo.bottom, padRight: info.padInfo.right,
  };
}

/** One kernel: picks the geometry from its inputs/attrs, runs oneDNN into a fresh heap output. */
function nativeKernel(
  native: NativeConv,
  kernelName: string,
  kind: number,
  describe: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => { info: Conv2DInfo; a: tf.TensorInfo; b: tf.TensorInfo; outShape: number[] },
): tf.KernelConfig {
  const fallback = tf.getKernel(kernelName, 'wasm');
  return {
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { info, a, b, outShape } = describe(inputs, attrs ?? {});
      if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast') return fallback.kernelFunc({ inputs, backend, attrs });
      const wasm = backend as BackendWasm;
      const out = wasm.makeOutput(outShape, 'float32');
      // views after the allocation: growing the heap detaches earlier views
      const view = (t: tf.TensorInfo) => wasm.typedArrayFromHeap(t) as Float32Array;
      runConv(native, kind, view(a), view(b), view(out), geometry(info));
      return out;
    },
  };
}

type Shape4 = [number, number, number, number];

export function nativeConvKernels(): tf.KernelConfig[] | undefined {
  const native = loadNativeConv();
  if (!native) return undefined;
  return [
    nativeKernel(native, tf.Conv2D, ConvKind.forward, (inputs, attrs) => {
      const { strides, pad, dilations, dimRoundingMode, dataFormat } = attrs as unknown as tf.Conv2DAttrs;
      const [x, filter] = [inputs.x!, inputs.filter!];
      const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
      return { info, a: x, b: filter, outShape: info.outShape };
    }),
    nativeKernel(native, tf.Conv2DBackpropInput, ConvKind.backwardData, (inputs, attrs) => {
      const { strides, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const [dy, filter] = [inputs.dy!, inputs.filter!];
      return { info: tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode), a: dy, b: filter, outShape: inputShape };
    }),
    nativeKernel(native, tf.Conv2DBackpropFilter, ConvKind.backwardWeights, (inputs, attrs) => {
      const { strides, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const [x, dy] = [inputs.x!, inputs.dy!];
      return { info: tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode), a: x, b: dy, outShape: filterShape };
    }),
  ];
}
