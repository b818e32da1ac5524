import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, convCases, convOutShape, describeCase, onBothBackends, randomValues, ready } from './backends.ts';

before(() => ready());

for (const c of convCases) {
  test(`Conv2DBackpropFilter matches cpu: ${describeCase(c)}`, async () => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.outChannels];
    const dyShape = convOutShape(c);
    const { cpu, wasm } = await onBothBackends(() => [
      tf.engine().runKernel(tf.Conv2DBackpropFilter, {
        x: tf.tensor4d(randomValues(c.x, 1), c.x),
        dy: tf.tensor4d(randomValues(dyShape, 2), dyShape),
      }, { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', filterShape }) as tf.Tensor,
    ]);
    assertClose(wasm[0], cpu[0], 'dW');
  });
}
