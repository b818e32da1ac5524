// The optional oneDNN spike (src/engine/kernels/native): skipped unless its addon has been built.
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, convCases, convOutShape, describeCase, onBothBackends, randomValues, ready } from './backends.ts';
import { nativeConvKernels } from '../../../src/engine/kernels/native/wasmKernels.ts';

const kernels = nativeConvKernels();

// node --test runs each file in its own process: the replacement does not reach other files
before(async () => {
  await ready();
  for (const config of kernels ?? []) {
    tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel(config);
  }
});

for (const c of convCases) {
  test(`oneDNN convolutions match cpu: ${describeCase(c)}`, { skip: kernels ? false : 'native addon not built' }, async () => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.outChannels];
    const dyShape = convOutShape(c);
    const attrs = { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC' };
    const { cpu, wasm } = await onBothBackends(() => {
      const x = tf.tensor4d(randomValues(c.x, 1), c.x);
      const filter = tf.tensor4d(randomValues(filterShape, 2), filterShape);
      const dy = tf.tensor4d(randomValues(dyShape, 3), dyShape);
      return [
        tf.conv2d(x, filter, c.stride, c.pad),
        tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter }, { ...attrs, inputShape: c.x }) as tf.Tensor,
        tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...attrs, filterShape }) as tf.Tensor,
      ];
    });
    ['y', 'dx', 'dW'].forEach((label, i) => assertClose(wasm[i], cpu[i], label));
  });
}
