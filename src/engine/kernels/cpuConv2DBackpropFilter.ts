// Conv2DBackpropFilter for the pure-JS cpu backend, bit for bit the built-in one and several times
// faster: the built-in reads every element through TensorBuffer.get (an index computed from a rest
// array, garbage per call), which made it most of a cpu training step.
// dW[kh,kw,ci,co] = sum_{n,oh,ow} x[n, oh*s + kh - padTop, ow*s + kw - padLeft, ci] * dy[n,oh,ow,co]
// Each dW element is summed in float64 over (n, oh, ow) in that order, then rounded to float32,
// exactly as the built-in does; only the loops are turned inside out so the innermost one walks co
// through contiguous memory. NCHW and non-float inputs, which the engine never passes, go to the built-in.
import * as tf from '@tensorflow/tfjs';

function conv2DBackpropFilterNhwc(info: tf.backend_util.Conv2DInfo, x: Float32Array, dy: Float32Array): Float32Array {
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = info;
  const { filterHeight, filterWidth, strideHeight, strideWidth } = info;
  const { top, left } = info.padInfo;
  const sums = new Float64Array(filterHeight * filterWidth * inChannels * outChannels);
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyAt = ((n * outHeight + oh) * outWidth + ow) * outChannels;
        for (let kh = 0; kh < filterHeight; kh++) {
          const ih = oh * strideHeight + kh - top;
          if (ih < 0 || ih >= inHeight) continue;
          for (let kw = 0; kw < filterWidth; kw++) {
            const iw = ow * strideWidth + kw - left;
            if (iw < 0 || iw >= inWidth) continue;
            const xAt = ((n * inHeight + ih) * inWidth + iw) * inChannels;
            const dwAt = (kh * filterWidth + kw) * inChannels * outChannels;
            for (let ci = 0; ci < inChannels; ci++) {
              const xv = x[xAt + ci];
              const row = dwAt + ci * outChannels;
              for (let co = 0; co < outChannels; co++) sums[row + co] += xv * dy[dyAt + co];
            }
          }
        }
      }
    }
  }
  return Float32Array.from(sums);
}

let registered = false;

/** Replaces the cpu backend's Conv2DBackpropFilter with this one (once; later calls do nothing). */
export function registerCpuConv2DBackpropFilter(): void {
  if (registered) return;
  const builtIn = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')!.kernelFunc;
  tf.unregisterKernel(tf.Conv2DBackpropFilter, 'cpu');
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'cpu',
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x as tf.TensorInfo;
      const dy = inputs.dy as tf.TensorInfo;
      const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      if (dataFormat === 'NCHW' || x.dtype !== 'float32' || dy.dtype !== 'float32') return builtIn(args);
      const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filterShape, strides, 1, pad, dimRoundingMode);
      // the cpu backend keeps each tensor's values in one typed array
      const cpu = backend as unknown as {
        data: { get(id: object): { values: Float32Array } };
        makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
      };
      const dW = conv2DBackpropFilterNhwc(info, cpu.data.get(x.dataId).values, cpu.data.get(dy.dataId).values);
      return cpu.makeTensorInfo(info.filterShape, 'float32', dW);
    },
  });
  registered = true;
}
