// Conv2DBackpropFilter for wasm, which has none (tfjs#8474).
// dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n,oh,ow,co]
// is itself a convolution: take x as [ci,H,W,n] (ci becomes the batch, n the reduction channel) and
// dy as a filter [oh,ow,n,co]; the forward stride becomes the dilation and the output is [ci,kh,kw,co].
// Bottom/right padding is chosen so the output is exactly kh x kw; rows/cols that no window reaches
// (negative padding, 'valid' with a remainder) are cropped from x instead.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasm, release, transpose } from './wasmCall.ts';

const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const x = inputs.x as tf.TensorInfo;
  const dy = inputs.dy as tf.TensorInfo;
  const { strides, pad, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
  const { top, left } = info.padInfo;
  const bottom = info.filterHeight + (info.outHeight - 1) * info.strideHeight - info.inHeight - top;
  const right = info.filterWidth + (info.outWidth - 1) * info.strideWidth - info.inWidth - left;

  let xT = transpose(wasm, x, [3, 1, 2, 0]);
  if (bottom < 0 || right < 0) {
    const [ci, h, w, n] = xT.shape;
    const cropped = callWasm(wasm, 'Slice', { x: xT }, { begin: [0, 0, 0, 0], size: [ci, h + Math.min(bottom, 0), w + Math.min(right, 0), n] });
    release(wasm, xT);
    xT = cropped;
  }
  const dyT = transpose(wasm, dy, [1, 2, 0, 3]);
  const conv = callWasm(wasm, 'Conv2D', { x: xT, filter: dyT }, {
    strides: [1, 1],
    dilations: [info.strideHeight, info.strideWidth],
    pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]],
    dataFormat: 'NHWC',
  });
  const dW = transpose(wasm, conv, [1, 2, 0, 3]);
  release(wasm, xT, dyT, conv);
  return dW;
};

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilter,
};
