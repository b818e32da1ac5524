// Conv2DBackpropInput for wasm: its own kernel is correct but slow, while its forward Conv2D is
// XNNPACK. dx is the full correlation of dy with the spatially flipped filter (in/out channels
// swapped): zero-insert dy by the stride (s-1 zeros after each element), pad by k-1-pad on the
// leading side and whatever makes the output H x W on the trailing side, then run a stride-1 conv.
// The zero-inserted grid is oh*s long; its last s-1 rows are zeros that may fall outside: cropped.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { callWasm, release, transpose } from './wasmCall.ts';

function zeroInsert(wasm: BackendWasm, dy: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n, oh, ow, c] = dy.shape;
  const spread = callWasm(wasm, 'Reshape', { x: dy }, { shape: [n, oh, 1, ow, 1, c] });
  const padded = callWasm(wasm, 'PadV2', { x: spread }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  });
  const out = callWasm(wasm, 'Reshape', { x: padded }, { shape: [n, oh * sh, ow * sw, c] });
  release(wasm, spread, padded);
  return out;
}

const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const dy = inputs.dy as tf.TensorInfo;
  const filter = inputs.filter as tf.TensorInfo;
  const { strides, pad, dimRoundingMode, inputShape } = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode);
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const top = kh - 1 - info.padInfo.top;
  const left = kw - 1 - info.padInfo.left;
  if (top < 0 || left < 0) throw new Error('Conv2DBackpropInput: padding larger than the filter is not supported');
  const bottom = info.inHeight + kh - 1 - info.outHeight * sh - top;
  const right = info.inWidth + kw - 1 - info.outWidth * sw - left;

  let grid = sh > 1 || sw > 1 ? zeroInsert(wasm, dy, sh, sw) : callWasm(wasm, 'Reshape', { x: dy }, { shape: dy.shape });
  if (bottom < 0 || right < 0) {
    const [n, h, w, c] = grid.shape;
    const cropped = callWasm(wasm, 'Slice', { x: grid }, { begin: [0, 0, 0, 0], size: [n, h + Math.min(bottom, 0), w + Math.min(right, 0), c] });
    release(wasm, grid);
    grid = cropped;
  }
  const flipped = callWasm(wasm, 'Reverse', { x: filter }, { dims: [0, 1] });
  const kernel = transpose(wasm, flipped, [0, 1, 3, 2]);
  const dx = callWasm(wasm, 'Conv2D', { x: grid, filter: kernel }, {
    strides: [1, 1],
    dilations: [1, 1],
    pad: [[0, 0], [top, Math.max(bottom, 0)], [left, Math.max(right, 0)], [0, 0]],
    dataFormat: 'NHWC',
  });
  release(wasm, grid, flipped, kernel);
  return dx;
};

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInput,
};
