// MaxPoolGrad for wasm, whose own kernel returns wrong values. Each window sends its output
// gradient to the first position holding its maximum (row-major scan, as the cpu backend and
// TensorFlow do); overlapping windows accumulate. Written in JS straight on the wasm heap: channels
// are innermost (NHWC), so each window is scanned for all channels at once with contiguous reads.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

const maxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as BackendWasm;
  const input = inputs.input as tf.TensorInfo;
  const dyInfo = inputs.dy as tf.TensorInfo;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth, strideHeight, strideWidth } = info;
  const { effectiveFilterHeight: fh, effectiveFilterWidth: fw } = info;

  const out = wasm.makeOutput(input.shape, 'float32');
  // Views are taken after the allocation: growing the heap detaches earlier views.
  const dx = wasm.typedArrayFromHeap(out) as Float32Array;
  const x = wasm.typedArrayFromHeap(input) as Float32Array;
  const dy = wasm.typedArrayFromHeap(dyInfo) as Float32Array;
  dx.fill(0);
  const best = new Float32Array(c);
  const bestAt = new Int32Array(c);
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const h0 = oh * strideHeight - info.padInfo.top;
      for (let ow = 0; ow < outWidth; ow++) {
        const w0 = ow * strideWidth - info.padInfo.left;
        best.fill(-Infinity);
        bestAt.fill(-1);
        for (let h = Math.max(h0, 0); h < Math.min(h0 + fh, inHeight); h++) {
          for (let w = Math.max(w0, 0); w < Math.min(w0 + fw, inWidth); w++) {
            const base = ((b * inHeight + h) * inWidth + w) * c;
            for (let ch = 0; ch < c; ch++) {
              if (x[base + ch] > best[ch]) {
                best[ch] = x[base + ch];
                bestAt[ch] = base + ch;
              }
            }
          }
        }
        const dyBase = ((b * outHeight + oh) * outWidth + ow) * c;
        for (let ch = 0; ch < c; ch++) if (bestAt[ch] >= 0) dx[bestAt[ch]] += dy[dyBase + ch];
      }
    }
  }
  return out;
};

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad,
};
