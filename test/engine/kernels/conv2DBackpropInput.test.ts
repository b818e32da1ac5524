import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { assertClose, convCases, convOutShape, describeCase, onBothBackends, randomValues, ready } from './backends.ts';

before(() => ready());

for (const c of convCases) {
  test(`Conv2DBackpropInput matches cpu: ${describeCase(c)}`, async () => {
    const filterShape: [number, number, number, number] = [c.k, c.k, c.x[3], c.outChannels];
    const dyShape = convOutShape(c);
    const { cpu, wasm } = await onBothBackends(() => [
      tf.engine().runKernel(tf.Conv2DBackpropInput, {
        dy: tf.tensor4d(randomValues(dyShape, 3), dyShape),
        filter: tf.tensor4d(randomValues(filterShape, 4), filterShape),
      }, { strides: [c.stride, c.stride], pad: c.pad, dataFormat: 'NHWC', inputShape: c.x }) as tf.Tensor,
    ]);
    assertClose(wasm[0], cpu[0], 'dx');
  });
}
