// Identity without a copy. tfjs clones every tensor a kernel saves for the backward pass through the
// Identity kernel, and wasm's copies the data: 370 copies, 224 ms of kernel time per resnet-small
// step (bench/profile-step.ts). Tensor data is never written in place (no wasm or native kernel here
// does), so the clone can share it, as the cpu backend's Identity and wasm's own Reshape do.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    (backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  },
};
