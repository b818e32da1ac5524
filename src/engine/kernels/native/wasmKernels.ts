// The native kernel pack as wasm-backend kernels. tfjs-wasm tensors live in the wasm heap, an
// ordinary ArrayBuffer, so the addon reads and writes them in place through heap views: no copies,
// and every other op stays on wasm. Cases the addon does not cover (dilated or NCHW convolutions,
// other dtypes) fall back to the kernel registered before.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { FusedKernel } from '../fused.ts';
import { ConvKind, type ConvGeometry, type NativeKernels, loadNativeKernels, runConv } from './index.ts';

type Conv2DInfo = ReturnType<typeof tf.backend_util.computeConv2DInfo>;
type Shape4 = [number, number, number, number];
type KernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap }) => tf.TensorInfo | tf.TensorInfo[];

/**
 * Allocates the outputs, then hands heap views of inputs and outputs to `run`. Views are taken
 * after every allocation: growing the heap detaches earlier views.
 */
function withHeapViews(backend: BackendWasm, inputs: Array<tf.TensorInfo | undefined>, outShapes: number[][], run: (ins: Array<Float32Array | null>, outs: Float32Array[]) => void): tf.TensorInfo[] {
  const outputs = outShapes.map((shape) => backend.makeOutput(shape, 'float32'));
  const view = (t: tf.TensorInfo) => backend.typedArrayFromHeap(t) as Float32Array;
  run(inputs.map((t) => (t ? view(t) : null)), outputs.map(view));
  return outputs;
}

/**
 * A wasm kernel config. It keeps the setup of the built-in it replaces: that binds the built-in's
 * wasm function, which its fallback calls and other wasm kernels call directly (Transpose's).
 */
function kernel(kernelName: string, kernelFunc: KernelFunc): tf.KernelConfig {
  const setupFunc = tf.getKernel(kernelName, 'wasm')?.setupFunc;
  return { kernelName, backendName: 'wasm', kernelFunc: kernelFunc as unknown as tf.KernelFunc, ...(setupFunc && { setupFunc }) };
}

function geometry(info: Conv2DInfo): ConvGeometry {
  return {
    n: info.batchSize, h: info.inHeight, w: info.inWidth, ci: info.inChannels,
    kh: info.filterHeight, kw: info.filterWidth, co: info.outChannels, oh: info.outHeight, ow: info.outWidth,
    strideH: info.strideHeight, strideW: info.strideWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left, padBottom: info.padInfo.bottom, padRight: info.padInfo.right,
  };
}

/** One convolution kernel: geometry from its inputs/attrs, oneDNN into a fresh output. */
function convKernel(
  native: NativeKernels,
  kernelName: string,
  kind: number,
  describe: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => { info: Conv2DInfo; a: tf.TensorInfo; b: tf.TensorInfo; outShape: number[] },
): tf.KernelConfig {
  const fallback = tf.getKernel(kernelName, 'wasm');
  return kernel(kernelName, ({ inputs, backend, attrs }) => {
    const { info, a, b, outShape } = describe(inputs, attrs ?? {});
    if (info.dilationHeight !== 1 || info.dilationWidth !== 1 || info.dataFormat !== 'channelsLast') {
      if (!fallback) throw new Error(`${kernelName}: no wasm kernel for this convolution`);
      return fallback.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    }
    return withHeapViews(backend, [a, b], [outShape], ([va, vb], [out]) => runConv(native, kind, va!, vb!, out, geometry(info)))[0];
  });
}

function convKernels(native: NativeKernels): tf.KernelConfig[] {
  return [
    convKernel(native, tf.Conv2D, ConvKind.forward, (inputs, attrs) => {
      const { strides, pad, dilations, dimRoundingMode, dataFormat } = attrs as unknown as tf.Conv2DAttrs;
      const [x, filter] = [inputs.x!, inputs.filter!];
      const info = tf.backend_util.computeConv2DInfo(x.shape as Shape4, filter.shape as Shape4, strides, dilations, pad, dimRoundingMode, false, tf.backend_util.convertConv2DDataFormat(dataFormat));
      return { info, a: x, b: filter, outShape: info.outShape };
    }),
    convKernel(native, tf.Conv2DBackpropInput, ConvKind.backwardData, (inputs, attrs) => {
      const { strides, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      const [dy, filter] = [inputs.dy!, inputs.filter!];
      return { info: tf.backend_util.computeConv2DInfo(inputShape, filter.shape as Shape4, strides, 1, pad, dimRoundingMode), a: dy, b: filter, outShape: inputShape };
    }),
    convKernel(native, tf.Conv2DBackpropFilter, ConvKind.backwardWeights, (inputs, attrs) => {
      const { strides, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const [x, dy] = [inputs.x!, inputs.dy!];
      return { info: tf.backend_util.computeConv2DInfo(x.shape as Shape4, filterShape, strides, 1, pad, dimRoundingMode), a: x, b: dy, outShape: filterShape };
    }),
  ];
}

/** BatchMatMul with tfjs's batch broadcasting restricted to "equal or 1" (all the engine uses). */
function matMulKernel(native: NativeKernels): tf.KernelConfig {
  const fallback = tf.getKernel(tf.BatchMatMul, 'wasm');
  return kernel(tf.BatchMatMul, ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
    const [aOuter, bOuter] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
    const [aBatch, bBatch] = [size(aOuter), size(bOuter)];
    const batch = Math.max(aBatch, bBatch);
    const [m, k] = transposeA ? a.shape.slice(-2).reverse() : a.shape.slice(-2);
    const n = transposeB ? b.shape[b.shape.length - 2] : b.shape[b.shape.length - 1];
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || (aBatch !== batch && aBatch !== 1) || (bBatch !== batch && bBatch !== 1)) {
      if (!fallback) throw new Error('BatchMatMul: no wasm kernel for these operands');
      return fallback.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    }
    const outShape = [...tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter), m, n];
    return withHeapViews(backend, [a, b], [outShape], ([va, vb], [out]) => native.matmul(va!, vb!, out, batch, aBatch, bBatch, m, n, k, transposeA, transposeB))[0];
  });
}

/** Softmax over the last axis (the only axis tf.softmax offers) of a float32 tensor. */
function softmaxKernel(native: NativeKernels): tf.KernelConfig {
  const fallback = tf.getKernel(tf.Softmax, 'wasm');
  return kernel(tf.Softmax, ({ inputs, backend, attrs }) => {
    const { logits } = inputs as { logits: tf.TensorInfo };
    const dim = (attrs as unknown as tf.SoftmaxAttrs).dim;
    const rank = logits.shape.length;
    if (logits.dtype !== 'float32' || (dim !== -1 && dim !== rank - 1) || logits.shape.some((d) => d === 0)) {
      if (!fallback) throw new Error('Softmax: no wasm kernel for this input');
      return fallback.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
    }
    const c = logits.shape[rank - 1];
    return withHeapViews(backend, [logits], [logits.shape], ([vx], [y]) => native.softmaxForward(vx!, y, tf.util.sizeFromShape(logits.shape) / c, c))[0];
  });
}

/**
 * Transpose, Slice and SplitV of float32 tensors as strided copies. Other dtypes, and slices that
 * are one contiguous run (wasm copies those with a single memcpy), stay on wasm.
 */
function copyKernels(native: NativeKernels): tf.KernelConfig[] {
  const fallbacks = Object.fromEntries([tf.Transpose, tf.Slice, tf.SplitV].map((name) => [name, tf.getKernel(name, 'wasm')]));
  const fallback = (name: string, args: Parameters<KernelFunc>[0]) => {
    if (!fallbacks[name]) throw new Error(`${name}: no wasm kernel for this input`);
    return fallbacks[name]!.kernelFunc(args) as tf.TensorInfo | tf.TensorInfo[];
  };
  const copy = (backend: BackendWasm, x: tf.TensorInfo, shape: number[], strides: number[], offset: number) =>
    withHeapViews(backend, [x], [shape], ([vx], [out]) => native.stridedCopy(vx!, out, shape, strides, offset))[0];
  const sliceOf = (backend: BackendWasm, x: tf.TensorInfo, begin: number[], size: number[]) => {
    const strides = [...tf.util.computeStrides(x.shape), 1];
    return copy(backend, x, size, strides, begin.reduce((sum, b, k) => sum + b * strides[k], 0));
  };
  const empty = (x: tf.TensorInfo) => x.shape.some((d) => d === 0);
  return [
    kernel(tf.Transpose, (args) => {
      const x = args.inputs.x!;
      const { perm } = args.attrs as unknown as tf.TransposeAttrs;
      if (x.dtype !== 'float32' || empty(x)) return fallback(tf.Transpose, args);
      const strides = [...tf.util.computeStrides(x.shape), 1];
      return copy(args.backend, x, perm.map((k) => x.shape[k]), perm.map((k) => strides[k]), 0);
    }),
    kernel(tf.Slice, (args) => {
      const x = args.inputs.x!;
      const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
      const [begin_, size_] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
      if (x.dtype !== 'float32' || empty(x) || size_.some((d) => d === 0) || tf.slice_util.isSliceContinous(x.shape, begin_, size_)) return fallback(tf.Slice, args);
      return sliceOf(args.backend, x, begin_, size_);
    }),
    kernel(tf.SplitV, (args) => {
      const x = args.inputs.x!;
      const { numOrSizeSplits, axis } = args.attrs as unknown as tf.SplitVAttrs;
      const $axis = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
      if (x.dtype !== 'float32' || empty(x) || sizes.some((d) => d === 0)) return fallback(tf.SplitV, args);
      const begin = x.shape.map(() => 0);
      return sizes.map((d) => {
        const size = x.shape.map((extent, k) => (k === $axis ? d : extent));
        const out = sliceOf(args.backend, x, begin, size);
        begin[$axis] += d;
        return out;
      });
    }),
  ];
}

function fusedKernels(native: NativeKernels): tf.KernelConfig[] {
  const channels = (x: tf.TensorInfo) => x.shape[x.shape.length - 1];
  return [
    kernel(FusedKernel.batchNormTrain, ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs;
      const c = channels(x!);
      return withHeapViews(backend, [x, gamma, beta], [x!.shape, [c], [c]], ([vx, vg, vb], [y, mean, variance]) =>
        native.batchNormForward(vx!, vg, vb, y, mean, variance, tf.util.sizeFromShape(x!.shape) / c, c, attrs.eps as number));
    }),
    kernel(FusedKernel.batchNormTrainGrad, ({ inputs, backend, attrs }) => {
      const { dy, x, mean, variance, gamma } = inputs;
      const c = channels(x!);
      return withHeapViews(backend, [dy, x, mean, variance, gamma], [x!.shape, [c], [c]], ([vdy, vx, vm, vv, vg], [dx, dgamma, dbeta]) =>
        native.batchNormBackward(vdy!, vx!, vm!, vv!, vg, dx, dgamma, dbeta, tf.util.sizeFromShape(x!.shape) / c, c, attrs.eps as number));
    }),
    kernel(FusedKernel.layerNorm, ({ inputs, backend, attrs }) => {
      const { x, gamma, beta } = inputs;
      const [c, rows] = [channels(x!), tf.util.sizeFromShape(x!.shape) / channels(x!)];
      return withHeapViews(backend, [x, gamma, beta], [x!.shape, [rows], [rows]], ([vx, vg, vb], [y, mean, rstd]) =>
        native.layerNormForward(vx!, vg!, vb!, y, mean, rstd, rows, c, attrs.eps as number));
    }),
    kernel(FusedKernel.layerNormGrad, ({ inputs, backend }) => {
      const { dy, x, mean, rstd, gamma } = inputs;
      const [c, rows] = [channels(x!), tf.util.sizeFromShape(x!.shape) / channels(x!)];
      return withHeapViews(backend, [dy, x, mean, rstd, gamma], [x!.shape, [c], [c]], ([vdy, vx, vm, vr, vg], [dx, dgamma, dbeta]) =>
        native.layerNormBackward(vdy!, vx!, vm!, vr!, vg!, dx, dgamma, dbeta, rows, c));
    }),
    kernel(FusedKernel.gelu, ({ inputs: { x }, backend }) =>
      withHeapViews(backend, [x], [x!.shape], ([vx], [y]) => native.geluForward(vx!, y, tf.util.sizeFromShape(x!.shape)))),
    kernel(FusedKernel.geluGrad, ({ inputs: { dy, x }, backend }) =>
      withHeapViews(backend, [dy, x], [x!.shape], ([vdy, vx], [dx]) => native.geluBackward(vdy!, vx!, dx, tf.util.sizeFromShape(x!.shape)))),
    kernel(FusedKernel.softmaxGrad, ({ inputs: { dy, y }, backend }) => {
      const [c, rows] = [channels(y!), tf.util.sizeFromShape(y!.shape) / channels(y!)];
      return withHeapViews(backend, [dy, y], [y!.shape], ([vdy, vy], [dx]) => native.softmaxBackward(vdy!, vy!, dx, rows, c));
    }),
    kernel(FusedKernel.sgdUpdate, ({ inputs, backend, attrs }) => {
      const { param, grad, buf } = inputs;
      const { lr, momentum, weightDecay } = attrs as { lr: number; momentum: number; weightDecay: number };
      return withHeapViews(backend, [param, grad, buf], [param!.shape, param!.shape], ([vp, vg, vb], [paramOut, bufOut]) =>
        native.sgdUpdate(vp!, vg!, vb!, paramOut, bufOut, tf.util.sizeFromShape(param!.shape), lr, momentum, weightDecay));
    }),
  ];
}

/** Every kernel of the pack for wasm, or undefined when the addon is not built (or switched off). */
export function nativeWasmKernels(): tf.KernelConfig[] | undefined {
  const native = loadNativeKernels();
  return native && [...convKernels(native), matMulKernel(native), softmaxKernel(native), ...copyKernels(native), ...fusedKernels(native)];
}
